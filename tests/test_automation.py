"""Sensors and schedules, evaluated on a real Dagster instance the way the daemon evaluates them."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from synapse_pipeline.definitions import defs
from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, monthly_partitions
from synapse_pipeline.ingest.resources import ExportFiles
from synapse_pipeline.ingest.schedules import daily_load_schedule
from synapse_pipeline.ingest.sensors import export_file_sensor, faturamento_months_sensor
from synapse_pipeline.reports.schedules import monthly_report_schedule
from synapse_pipeline.settings import TIMEZONE
from tests.support import Pipeline


def _tick_files(instance: dg.DagsterInstance, data_dir: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"export_files": ExportFiles(data_dir=str(data_dir))}
    )
    return export_file_sensor.evaluate_tick(context)


def test_a_dropped_export_starts_exactly_one_load(data_dir: Path, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    with dg.instance_for_test() as instance:
        waiting = _tick_files(instance, incoming, None)
        assert waiting.run_requests == [] and "no estoque*.csv file" in waiting.skip_message

        # Half of the billing file written: not picked up while it may still be being written.
        for path in data_dir.iterdir():
            (incoming / path.name).write_bytes(path.read_bytes())
        target = incoming / "faturamento 1.csv"
        whole = target.read_bytes()
        target.write_bytes(whole[: len(whole) // 2])
        writing = _tick_files(instance, incoming, waiting.cursor)
        assert (
            writing.run_requests == []
            and "estoque 1.csv, faturamento 1.csv: new or changed since the last look" in (writing.skip_message)
        )
        with target.open("ab") as rest:
            rest.write(whole[len(whole) // 2 :])
        still = _tick_files(instance, incoming, writing.cursor)
        assert still.run_requests == [] and still.skip_message.startswith("faturamento 1.csv: new or changed")
        first = _tick_files(instance, incoming, still.cursor)  # unchanged since the last look: the whole file
        assert len(first.run_requests) == 1
        key = first.run_requests[0].run_key
        # Until they are validated the same files ask for the same run key: the daemon starts one run per key.
        assert [r.run_key for r in _tick_files(instance, incoming, first.cursor).run_requests] == [key]

        # The same content written again (new mtime) is not a new export; a change of content is.
        target.write_bytes(target.read_bytes())
        settled = _tick_files(instance, incoming, _tick_files(instance, incoming, first.cursor).cursor)
        assert [r.run_key for r in settled.run_requests] == [key]
        target.write_bytes(target.read_bytes().replace(b"CURITIBA", b"CURITIBA ", 1))
        changed = _tick_files(instance, incoming, _tick_files(instance, incoming, first.cursor).cursor)
        assert len(changed.run_requests) == 1
        assert changed.run_requests[0].run_key != first.run_requests[0].run_key


def test_a_validated_billing_file_loads_its_months_in_one_run(pipeline: Pipeline) -> None:
    assert pipeline.materialize(["faturamento_raw"]).success

    first = faturamento_months_sensor.evaluate_tick(dg.build_sensor_context(instance=pipeline.instance))

    assert len(first.run_requests) == 1
    tags = first.run_requests[0].tags
    assert (tags[PARTITION_RANGE_START_TAG], tags[PARTITION_RANGE_END_TAG]) == ("2024-01-01", "2025-08-01")
    again = faturamento_months_sensor.evaluate_tick(
        dg.build_sensor_context(instance=pipeline.instance, cursor=first.cursor)
    )
    assert again.run_requests == []


def test_schedules_run_in_sao_paulo_time(data_dir: Path) -> None:
    assert daily_load_schedule.execution_timezone == TIMEZONE == monthly_report_schedule.execution_timezone
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2025, 9, 1, 7, tzinfo=ZoneInfo(TIMEZONE)),
            repository_def=defs.get_repository_def(),
        )
        nothing_billed = monthly_report_schedule.evaluate_tick(context)
        assert nothing_billed.run_requests == [] and "nothing is billed in 2025-08" in nothing_billed.skip_message
        instance.add_dynamic_partitions(monthly_partitions.name, ["2025-07-01", "2025-08-01"])
        request = monthly_report_schedule.evaluate_tick(context).run_requests[0]
        assert request.partition_key == "2025-08-01"
        with dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2025, 9, 2, 6, tzinfo=ZoneInfo(TIMEZONE)),
            repository_def=defs.get_repository_def(),
            resources={"export_files": ExportFiles(data_dir=str(data_dir))},
        ) as daily_context:
            daily = daily_load_schedule.evaluate_tick(daily_context)
        assert len(daily.run_requests) == 1
    assert daily_load_schedule.job_name == "ingest_job" and monthly_report_schedule.job_name == "relatorio_job"


def test_every_job_schedule_and_sensor_resolves() -> None:
    for schedule in ("daily_load_schedule", "monthly_report_schedule"):
        assert defs.resolve_schedule_def(schedule).name == schedule
    for schedule in defs.schedules or ():
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING, schedule.name
    for sensor in defs.sensors or ():
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING, sensor.name
    for job in ("ingest_job", "faturamento_job", "kpi_job", "relatorio_job", "deliver_reports_job"):
        assert defs.resolve_job_def(job).name == job


def test_first_ticks_after_the_loads_request_nothing(pipeline: Pipeline) -> None:
    """On an instance that already holds the loads (after `synapse run`, a restart), nothing is asked again."""
    pipeline.load_all()

    looked = _tick_files(pipeline.instance, pipeline.data_dir, None)  # a first look: files not seen settle first
    files = _tick_files(pipeline.instance, pipeline.data_dir, looked.cursor)
    months = faturamento_months_sensor.evaluate_tick(dg.build_sensor_context(instance=pipeline.instance))

    assert files.run_requests == [] and "last validated" in files.skip_message
    assert months.run_requests == []
