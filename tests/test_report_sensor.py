"""stale_reports_sensor on a real instance: the reports wait for the KPI and forecast tables, follow their figures,
never twice, and retry a failed report run."""

import dagster as dg
import pytest

from synapse_pipeline.definitions import defs
from synapse_pipeline.forecast.tables import DERIVED_TABLES
from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from synapse_pipeline.reports.sensors import stale_reports_sensor
from synapse_pipeline.settings import RETRY_SECONDS_ENV
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


def test_reports_wait_for_a_table_left_behind_then_follow_the_kpi_tables(pipeline: Pipeline) -> None:
    pipeline.load_all_and_kpis()
    # The billing loaded again after the KPI tables (as when a rebuild overlapped the load): they are behind, and
    # the automation, not this sensor, rebuilds them.
    assert pipeline.materialize(["faturamento"], months=MONTHS).success
    waiting = _tick(pipeline)
    assert waiting.run_requests == []
    assert waiting.skip_message == "waiting for the KPI and forecast tables to be rebuilt from their inputs"

    assert pipeline.materialize(list(DERIVED_TABLES)).success
    first = _tick(pipeline)
    (render,) = first.run_requests
    assert render.job_name == "relatorio_job"
    assert (render.tags[PARTITION_RANGE_START_TAG], render.tags[PARTITION_RANGE_END_TAG]) == MONTHS

    assert pipeline.materialize(["relatorio_mensal"], months=MONTHS).success
    assert _tick(pipeline, first.cursor).run_requests == []  # the inputs have not changed since
    assert _tick(pipeline).run_requests == []  # and every month's figures are those its report shows


def test_a_failed_report_run_is_retried_once_its_wait_is_over(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline.load_all_and_kpis()
    first = _tick(pipeline)
    assert len(first.run_requests) == 1
    # The requested run fails (its warehouse unreachable): the months stay stale and the inputs do not change.
    job = defs.resolve_job_def("relatorio_job")
    broken = {"warehouse": Warehouse(url=f"sqlite:///{pipeline.storage}/no/such/folder/synapse.db")}
    failed = job.execute_in_process(
        instance=pipeline.instance, resources=broken, partition_key=MONTHS[0], raise_on_error=False
    )
    assert not failed.success

    monkeypatch.setenv(RETRY_SECONDS_ENV, "3600")
    waiting = _tick(pipeline, first.cursor)
    assert waiting.run_requests == []
    assert f"the failed run {failed.run_id} is retried after" in (waiting.skip_message or "")

    monkeypatch.setenv(RETRY_SECONDS_ENV, "0")
    retry = _tick(pipeline, first.cursor)
    (render,) = retry.run_requests
    assert render.run_key and render.run_key.endswith(f" retrying {failed.run_id}")
    assert render.run_key != first.run_requests[0].run_key  # a run key already used would be skipped for ever
    assert (render.tags[PARTITION_RANGE_START_TAG], render.tags[PARTITION_RANGE_END_TAG]) == MONTHS
    assert _tick(pipeline, retry.cursor).run_requests == []  # that failure is retried once

    assert pipeline.materialize(["relatorio_mensal"], months=MONTHS).success
    assert _tick(pipeline, retry.cursor).run_requests == []
