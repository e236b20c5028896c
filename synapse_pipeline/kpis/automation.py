"""Declarative automation: each table rebuilt after its inputs change, and retried after a failure, by a sensor that
is on from the start.

Dagster's `eager()` counts a rebuild that was under way when a load landed as having handled that load, and never
retries a failed run. These conditions read what happened instead: an input stored after the start of the run
that made the table, and failed runs in a row with a wait that doubles after each.
"""

import os
from datetime import timedelta

import dagster as dg

from synapse_pipeline.settings import CHAIN_SENSOR_SECONDS, RETRY_SECONDS_ENV

FIRST_RETRY = timedelta(minutes=5)
LAST_RETRY = timedelta(hours=6)  # the longest wait: a failure that lasts is retried four times a day, never given up
FAILED_RUN_KEY = "failed_run"
FAILURES_KEY = "failures_in_a_row"


def retry_wait(failures: int) -> timedelta:
    """How long after the n-th failed run in a row the next attempt is due: doubling from the first wait
    (`SYNAPSE_RETRY_SECONDS`, 5 minutes by default), at most 6 hours."""
    first = timedelta(seconds=float(os.environ.get(RETRY_SECONDS_ENV) or FIRST_RETRY.total_seconds()))
    doublings = min(max(failures - 1, 0), 16)  # enough to pass LAST_RETRY from any first wait; no overflow after
    return min(first * 2**doublings, LAST_RETRY)


def _latest_materialization(instance: dg.DagsterInstance, key: dg.AssetKey) -> dg.EventLogRecord | None:
    result = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key), limit=1)
    return result.records[0] if result.records else None


def _started(instance: dg.DagsterInstance, record: dg.EventLogRecord) -> float:
    """When the run that stored `record` started (the record's own time for an event reported outside a run)."""
    run = instance.get_run_record_by_id(record.run_id) if record.run_id else None
    return run.start_time if run is not None and run.start_time is not None else record.timestamp


def _failed_run(instance: dg.DagsterInstance, key: dg.AssetKey) -> dg.RunRecord | None:
    """The latest run that planned to make `key`, if it failed."""
    planned = instance.get_latest_planned_materialization_info(key)
    run = instance.get_run_record_by_id(planned.run_id) if planned else None
    return run if run is not None and run.dagster_run.status == dg.DagsterRunStatus.FAILURE else None


def _whole_or_nothing(
    context: dg.AutomationContext, holds: bool, metadata: dict[str, dg.MetadataValue] | None = None
) -> dg.AutomationResult:
    """The tables are not partitioned: a condition holds for the whole asset or not at all."""
    true_subset = context.candidate_subset if holds else context.get_empty_subset()
    return dg.AutomationResult(context=context, true_subset=true_subset, metadata=metadata or {})


class InputsNewerThanLastRun(dg.AutomationCondition):
    """True when every input exists and one was stored after the start of the run that made the table (or it was
    never made): that run read the input before its last change, even if it ended after it."""

    @property
    def description(self) -> str:
        return "An input was stored after the run that made it started"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:  # type: ignore[override]
        instance = context.asset_graph_view.instance
        inputs = [_latest_materialization(instance, key) for key in context.asset_graph.get(context.key).parent_keys]
        if not all(inputs):  # an input never made (a partitioned one may have no partition yet to be missing)
            return _whole_or_nothing(context, False)
        made = _latest_materialization(instance, context.key)
        if made is None:
            return _whole_or_nothing(context, True)
        started = _started(instance, made)
        # An input made earlier in the table's own run was read after it was made: not a change it missed.
        newer = (
            record.timestamp > started and (record.run_id != made.run_id or not made.run_id)
            for record in inputs
            if record
        )
        return _whole_or_nothing(context, any(newer))


class RetryDue(dg.AutomationCondition):
    """True when the table's latest run failed and the wait after it is over: `retry_wait` of the failed runs in a
    row (counted in this condition's metadata, look after look), from the end of the last one."""

    @property
    def description(self) -> str:
        return "Its last run failed and the wait before the next attempt is over"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:  # type: ignore[override]
        failed = _failed_run(context.asset_graph_view.instance, context.key)
        before = context.previous_metadata or {}
        counted = before[FAILED_RUN_KEY].value if FAILED_RUN_KEY in before else None
        failures = before[FAILURES_KEY].value if FAILURES_KEY in before else 0
        if failed is None or failed.end_time is None:
            return _whole_or_nothing(context, False)
        if failed.dagster_run.run_id != counted:
            failures = int(failures or 0) + 1
        due = failed.end_time + retry_wait(failures).total_seconds()
        metadata = {
            FAILED_RUN_KEY: dg.MetadataValue.text(failed.dagster_run.run_id),
            FAILURES_KEY: dg.MetadataValue.int(failures),
            "retry_due": dg.MetadataValue.timestamp(due),
        }
        return _whole_or_nothing(context, context.evaluation_time.timestamp() >= due, metadata)


# After an input changes, or once the wait after a failure is over; never while an input is missing or being made,
# nor while the table itself is. faturamento's months are those the exports hold, so a month still to load holds the
# tables back until it is loaded.
REBUILD_AUTOMATION = (
    (
        (
            (
                InputsNewerThanLastRun()
                | dg.AutomationCondition.any_deps_match(dg.AutomationCondition.will_be_requested())
            )
            & ~dg.AutomationCondition.execution_failed()
        ).with_label("an input changed or is rebuilt in the same run")
        | (
            dg.AutomationCondition.execution_failed() & (RetryDue() | dg.AutomationCondition.any_deps_updated())
        ).with_label("failed: the next attempt is due, or an input changed")
    )
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after its inputs change; retried after a failure")

automation_sensor = dg.AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=CHAIN_SENSOR_SECONDS,
    emit_backfills=False,  # runs at once, not backfills waiting for the backfill daemon's next pass
    use_user_code_server=True,  # the conditions above read the instance in Python
    description="Rebuilds every asset whose automation condition asks for it: the KPI and forecast tables after a "
    "load or a failure, the backup after them.",
)
