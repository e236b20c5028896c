"""Ingest's definitions: the raw and load assets with their checks, the load jobs, sensors and schedule."""

import dagster as dg

from synapse_pipeline.ingest import loads, raw
from synapse_pipeline.ingest.jobs import faturamento_job, ingest_job
from synapse_pipeline.ingest.resources import ExportFiles
from synapse_pipeline.ingest.schedules import daily_load_schedule
from synapse_pipeline.ingest.sensors import export_file_sensor, faturamento_months_sensor
from synapse_pipeline.settings import DATA_DIR_ENV, default_data_dir, deployment_only, env_or_default, state_dir

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([raw, loads], group_name="ingest"),
    asset_checks=dg.load_asset_checks_from_modules([raw, loads]),
    jobs=[ingest_job, faturamento_job],
    schedules=[daily_load_schedule],
    sensors=[export_file_sensor, faturamento_months_sensor],
    resources={
        "export_files": deployment_only(
            ExportFiles(data_dir=env_or_default(DATA_DIR_ENV, default_data_dir())),
            f"The folder the ERP drops its exports in: {DATA_DIR_ENV}.",
        ),
        # The validated hand-off between the raw assets and the loads.
        "io_manager": dg.FilesystemIOManager(base_dir=str(state_dir() / "storage")),
    },
)
