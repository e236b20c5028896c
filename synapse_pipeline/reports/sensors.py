"""The report sensor: the report of every month whose figures changed is rendered again, and only those.

A corrected month changes its own report and the later ones that show it (trend, comparisons); a report of month X
reads nothing after X's end, so earlier reports stay as they are, byte for byte.
"""

from collections.abc import Iterator
from datetime import date

import dagster as dg

from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, monthly_partitions
from synapse_pipeline.reports.assets import FIGURES_SHA256_KEY
from synapse_pipeline.reports.jobs import relatorio_job
from synapse_pipeline.reports.queries import monthly_report
from synapse_pipeline.warehouse.resource import Warehouse

RELATORIO_MENSAL = dg.AssetKey("relatorio_mensal")


def _settled_inputs(context: dg.SensorEvaluationContext) -> int | None:
    """The newest storage id among the report's inputs once the automated ones have caught up, else None.

    While the eager KPI rebuild is under way some table is older than what it is built from: the reports wait.
    """
    graph = context.repository_def.asset_graph  # type: ignore[union-attr]
    inputs = dg.AssetSelection.assets(RELATORIO_MENSAL).upstream(include_self=False).resolve(graph)
    latest = {
        record.asset_entry.asset_key: record.asset_entry.last_materialization_record
        for record in context.instance.get_asset_records(list(inputs))
    }
    if any(latest.get(key) is None for key in inputs):
        return None
    ids = {key: record.storage_id for key, record in latest.items() if record is not None}
    for key in inputs:
        node = graph.get(key)
        if node.automation_condition is not None and any(ids[p] > ids[key] for p in node.parent_keys & inputs):
            return None
    return max(ids.values())


def _recorded_figures(instance: dg.DagsterInstance, month: str) -> str | None:
    """The figures digest the month's latest report was rendered from (None: never rendered)."""
    result = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RELATORIO_MENSAL, asset_partitions=[month]), limit=1
    )
    metadata = result.records[0].asset_materialization.metadata if result.records else {}
    return metadata[FIGURES_SHA256_KEY].value if FIGURES_SHA256_KEY in metadata else None


def _ranges(months: list[str]) -> Iterator[list[str]]:
    """Consecutive runs of partition keys: each renders in one run."""
    keys = monthly_partitions.get_partition_keys()
    run: list[str] = []
    for month in months:
        if run and keys.index(month) != keys.index(run[-1]) + 1:
            yield run
            run = []
        run.append(month)
    if run:
        yield run


@dg.sensor(job=relatorio_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def stale_reports_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse) -> dg.SensorResult:
    """Render again each month whose figures differ from those its stored report was rendered from.

    Looks once per change of the report's inputs, after the eager KPI tables have caught up with the loads; a
    range of consecutive months renders in one run.
    """
    settled = _settled_inputs(context)
    if settled is None:
        return dg.SensorResult(skip_reason="waiting for the report's inputs (loads, KPI tables)")
    if context.cursor == str(settled):
        return dg.SensorResult(skip_reason="the report's inputs have not changed")
    stale = []
    with warehouse.engine.connect() as conn:
        for month in monthly_partitions.get_partition_keys():
            report = monthly_report(conn, date.fromisoformat(month))
            if report is not None and report.figures_sha256() != _recorded_figures(context.instance, month):
                stale.append(month)
    requests = [
        dg.RunRequest(
            run_key=f"relatorio:{run[0]}..{run[-1]}@{settled}",
            tags={PARTITION_RANGE_START_TAG: run[0], PARTITION_RANGE_END_TAG: run[-1]},
        )
        for run in _ranges(stale)
    ]
    return dg.SensorResult(run_requests=requests, cursor=str(settled))
