"""stale_reports_sensor on a real instance: the reports wait for the KPI and forecast tables, follow their figures,
never twice."""

import dagster as dg

from synapse_pipeline.definitions import defs
from synapse_pipeline.forecast.tables import DERIVED_TABLES, FORECAST_TABLES
from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from synapse_pipeline.kpis.catalog import KPI_TABLES
from synapse_pipeline.reports.sensors import stale_reports_sensor
from synapse_pipeline.warehouse.resource import Warehouse
from tests.support import Pipeline

MONTHS = ("2024-01-01", "2025-08-01")


def _tick(pipeline: Pipeline, cursor: str | None = None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=pipeline.instance,
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        resources={"warehouse": Warehouse(url=pipeline.warehouse_url)},
    ) as context:
        return stale_reports_sensor.evaluate_tick(context)


def test_reports_follow_the_kpi_tables_and_a_table_left_behind_is_rebuilt_first(pipeline: Pipeline) -> None:
    pipeline.load_all_and_kpis()
    # The billing loaded again after the KPI tables (as when a rebuild overlapped the load): they are behind.
    assert pipeline.materialize(["faturamento"], months=MONTHS).success

    forecast, kpis = _tick(pipeline).run_requests
    assert (forecast.job_name, kpis.job_name) == ("forecast_job", "kpi_job")
    assert {key.to_user_string() for key in kpis.asset_selection or ()} == set(KPI_TABLES)  # all built on it
    assert {key.to_user_string() for key in forecast.asset_selection or ()} == set(FORECAST_TABLES)

    assert pipeline.materialize(list(DERIVED_TABLES)).success
    first = _tick(pipeline)
    (render,) = first.run_requests
    assert render.job_name == "relatorio_job"
    assert (render.tags[PARTITION_RANGE_START_TAG], render.tags[PARTITION_RANGE_END_TAG]) == MONTHS

    assert pipeline.materialize(["relatorio_mensal"], months=MONTHS).success
    assert _tick(pipeline, first.cursor).run_requests == []  # the inputs have not changed since
    assert _tick(pipeline).run_requests == []  # and every month's figures are those its report shows
