"""The report sensor: the report of every month whose figures changed is rendered again, and only those.

A corrected month changes its own report and the later ones that show it (trend, comparisons); a report of month X
reads nothing after X's end, so earlier reports stay as they are, byte for byte.
"""

from collections.abc import Iterator
from datetime import date

import dagster as dg

from synapse_pipeline.forecast.jobs import FORECAST_GROUP, forecast_job
from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, monthly_partitions
from synapse_pipeline.kpis.jobs import kpi_job
from synapse_pipeline.reports.assets import FIGURES_SHA256_KEY
from synapse_pipeline.reports.jobs import relatorio_job
from synapse_pipeline.reports.queries import monthly_report
from synapse_pipeline.reports.store import without_mail_form
from synapse_pipeline.warehouse.resource import Warehouse

RELATORIO_MENSAL = dg.AssetKey("relatorio_mensal")
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def _inputs(context: dg.SensorEvaluationContext) -> tuple[int | None, list[dg.AssetKey]]:
    """The newest storage id among the report's inputs (None: one was never made), and the automated tables, with
    what they feed, that are older than one of their own inputs: a KPI rebuild still to do."""
    graph = context.repository_def.asset_graph  # type: ignore[union-attr]
    records = context.instance.get_asset_records(list(graph.get_all_asset_keys()))
    ids = {
        record.asset_entry.asset_key: record.asset_entry.last_materialization_record.storage_id
        for record in records
        if record.asset_entry.last_materialization_record is not None
    }
    inputs = dg.AssetSelection.assets(RELATORIO_MENSAL).upstream(include_self=False).resolve(graph)
    if not inputs <= ids.keys():
        return None, []
    automated = {key for key in ids if graph.get(key).automation_condition is not None}
    behind = [key for key in automated if any(ids.get(p, 0) > ids[key] for p in graph.get(key).parent_keys)]
    lagging = dg.AssetSelection.assets(*behind).downstream().resolve(graph) & automated if behind else set()
    return max(ids[key] for key in inputs), sorted(lagging, key=lambda key: key.to_user_string())


def _run_in_progress(instance: dg.DagsterInstance) -> bool:
    return bool(instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS), limit=1))


def _recorded_figures(instance: dg.DagsterInstance, month: str) -> str | None:
    """The figures digest the month's latest report was rendered from (None: never rendered)."""
    result = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RELATORIO_MENSAL, asset_partitions=[month]), limit=1
    )
    metadata = result.records[0].asset_materialization.metadata if result.records else {}
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


def _catch_up(context: dg.SensorEvaluationContext, lagging: list[dg.AssetKey], newest: int) -> list[dg.RunRequest]:
    """One run per job of the tables left behind: the forecast tables in forecast_job, the KPI tables in kpi_job."""
    graph = context.repository_def.asset_graph  # type: ignore[union-attr]
    by_job: dict[str, list[dg.AssetKey]] = {}
    for key in lagging:
        job = forecast_job if graph.get(key).group_name == FORECAST_GROUP else kpi_job
        by_job.setdefault(job.name, []).append(key)
    return [
        dg.RunRequest(job_name=job, asset_selection=keys, run_key=f"{job}-behind@{newest}")
        for job, keys in sorted(by_job.items())
    ]


@dg.sensor(
    jobs=[relatorio_job, kpi_job, forecast_job],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-renders exactly the months whose figures differ from their stored report; first rebuilds a KPI "
    "or forecast table left behind by its inputs.",
)
def stale_reports_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse) -> dg.SensorResult:
    """Render again each month whose figures differ from those its stored report was rendered from.

    Looks once per change of the report's inputs, when the KPI tables are newer than what they are built from; a
    range of consecutive months renders in one run. Eager automation counts a KPI rebuild that overlapped a load as
    done; once nothing runs, a table so left behind is rebuilt here, with the tables it feeds.
    """
    newest, lagging = _inputs(context)
    if newest is None:
        return dg.SensorResult(skip_reason="waiting for the report's inputs (loads, KPI and forecast tables)")
    if lagging:
        if _run_in_progress(context.instance):
            return dg.SensorResult(skip_reason="waiting for the runs under way (loads, KPI and forecast tables)")
        return dg.SensorResult(run_requests=_catch_up(context, lagging, newest))
    if context.cursor == str(newest):
        return dg.SensorResult(skip_reason="the report's inputs have not changed")
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
    requests = [
        dg.RunRequest(
            job_name=relatorio_job.name,
            run_key=f"relatorio:{run[0]}..{run[-1]}@{newest}",
            tags={PARTITION_RANGE_START_TAG: run[0], PARTITION_RANGE_END_TAG: run[-1]},
        )
        for run in _ranges(stale, keys)
    ]
    return dg.SensorResult(run_requests=requests, cursor=str(newest))
