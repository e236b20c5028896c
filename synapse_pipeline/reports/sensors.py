"""The report sensor: the report of every month whose figures changed is rendered again, and only those.

A corrected month changes its own report and the later ones that show it (trend, comparisons); a report of month X
reads nothing after X's end, so earlier reports stay as they are, byte for byte.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import takewhile

import dagster as dg

from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, monthly_partitions
from synapse_pipeline.kpis.automation import retry_wait
from synapse_pipeline.reports.assets import FIGURES_SHA256_KEY, RELATORIO_MENSAL, recorded_metadata
from synapse_pipeline.reports.jobs import relatorio_job
from synapse_pipeline.reports.queries import monthly_report
from synapse_pipeline.reports.store import without_mail_form
from synapse_pipeline.settings import CHAIN_SENSOR_SECONDS
from synapse_pipeline.warehouse.resource import Warehouse

RUNS_SEEN = 50  # report runs read to count the failed ones in a row


def _inputs(context: dg.SensorEvaluationContext) -> tuple[int | None, bool]:
    """The newest storage id among the report's inputs (None: one was never made), and whether an automated table
    among them is older than one of its own inputs: its rebuild, which the automation makes, is still to come."""
    graph = context.repository_def.asset_graph  # type: ignore[union-attr]
    inputs = dg.AssetSelection.assets(RELATORIO_MENSAL).upstream(include_self=False).resolve(graph)
    records = context.instance.get_asset_records(list(graph.get_all_asset_keys()))
    ids = {
        record.asset_entry.asset_key: record.asset_entry.last_materialization_record.storage_id
        for record in records
        if record.asset_entry.last_materialization_record is not None
    }
    if not inputs <= ids.keys():
        return None, False
    automated = [key for key in inputs if graph.get(key).automation_condition is not None]
    behind = any(ids.get(parent, 0) > ids[key] for key in automated for parent in graph.get(key).parent_keys)
    return max(ids[key] for key in inputs), behind


@dataclass(frozen=True)
class _Retry:
    """The latest report run, failed, and when its retry is due (`retry_wait` of the failed report runs in a row)."""

    run_id: str
    due: datetime


def _failed_report_run(instance: dg.DagsterInstance) -> _Retry | None:
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=relatorio_job.name), limit=RUNS_SEEN)
    failed = list(takewhile(lambda record: record.dagster_run.status == dg.DagsterRunStatus.FAILURE, records))
    if not failed or failed[0].end_time is None:
        return None
    ended = datetime.fromtimestamp(failed[0].end_time, UTC)
    return _Retry(failed[0].dagster_run.run_id, ended + retry_wait(len(failed)))


def _cursor(text: str | None) -> dict[str, int | str | None]:
    """What the last look saw: the inputs' newest storage id and the failed report run it retried."""
    return json.loads(text) if text and text.startswith("{") else {"inputs": int(text) if text else None}


def _recorded_figures(instance: dg.DagsterInstance, month: str) -> str | None:
    """The figures digest the month's latest report was rendered from (None: never rendered)."""
    metadata = recorded_metadata(instance, month)
    return metadata[FIGURES_SHA256_KEY].value if FIGURES_SHA256_KEY in metadata else None


def _ranges(months: list[str], keys: list[str]) -> Iterator[list[str]]:
    """Consecutive runs of partition keys (among every key, `keys`): each renders in one run."""
    run: list[str] = []
    for month in months:
        if run and keys.index(month) != keys.index(run[-1]) + 1:
            yield run
            run = []
        run.append(month)
    if run:
        yield run


@dg.sensor(
    jobs=[relatorio_job],
    minimum_interval_seconds=CHAIN_SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-renders exactly the months whose figures differ from their stored report, once the KPI and "
    "forecast tables are rebuilt; retries a failed report run after a wait.",
)
def stale_reports_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse) -> dg.SensorResult:
    """Render again each month whose figures differ from those its stored report was rendered from.

    Looks once per change of the report's inputs, when no KPI or forecast table is older than its own inputs (the
    automation rebuilds those), and again when a failed report run's wait is over; a range of consecutive months
    renders in one run.
    """
    newest, behind = _inputs(context)
    if newest is None:
        return dg.SensorResult(skip_reason="waiting for the report's inputs (loads, KPI and forecast tables)")
    if behind:
        return dg.SensorResult(skip_reason="waiting for the KPI and forecast tables to be rebuilt from their inputs")
    seen = _cursor(context.cursor)
    failed = _failed_report_run(context.instance)
    retry = failed if failed and failed.due <= datetime.now(UTC) and failed.run_id != seen.get("retried") else None
    if seen.get("inputs") == newest and retry is None:
        waiting = f"; the failed run {failed.run_id} is retried after {failed.due:%Y-%m-%d %H:%M} UTC" if failed else ""
        return dg.SensorResult(skip_reason=f"the report's inputs have not changed{waiting}")
    stale = []
    keys = monthly_partitions.get_partition_keys(dynamic_partitions_store=context.instance)
    with warehouse.engine.connect() as conn:
        unmailed = without_mail_form(conn)
        for month in keys:
            report = monthly_report(conn, date.fromisoformat(month))
            # A month a correction emptied has no figures: its report, if one was rendered, is withdrawn.
            figures = report.figures_sha256() if report else None
            if figures != _recorded_figures(context.instance, month) or (report and report.name in unmailed):
                stale.append(month)
    attempt = f" retrying {retry.run_id}" if retry else ""
    requests = [
        dg.RunRequest(
            job_name=relatorio_job.name,
            run_key=f"relatorio:{run[0]}..{run[-1]}@{newest}{attempt}",
            tags={PARTITION_RANGE_START_TAG: run[0], PARTITION_RANGE_END_TAG: run[-1]},
        )
        for run in _ranges(stale, keys)
    ]
    retried = retry.run_id if retry else seen.get("retried")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps({"inputs": newest, "retried": retried}))
