"""The one `Definitions` of Synapse: assets by group, jobs and resources wired to the environment."""

import dagster as dg

from synapse_pipeline.assets import aggregates, ingest, reports
from synapse_pipeline.jobs import faturamento_job, ingest_job, kpi_job, relatorio_job
from synapse_pipeline.resources import ExportFiles, Warehouse
from synapse_pipeline.settings import (
    DATA_DIR_ENV,
    DATABASE_URL_ENV,
    default_data_dir,
    default_database_url,
    env_or_default,
    state_dir,
)

defs = dg.Definitions(
    assets=[
        *dg.load_assets_from_modules([ingest], group_name="ingest"),
        *dg.load_assets_from_modules([aggregates], group_name="kpis"),
        *dg.load_assets_from_modules([reports], group_name="reports"),
    ],
    asset_checks=dg.load_asset_checks_from_modules([ingest]),
    jobs=[ingest_job, faturamento_job, kpi_job, relatorio_job],
    resources={
        "warehouse": Warehouse(url=env_or_default(DATABASE_URL_ENV, default_database_url())),
        "export_files": ExportFiles(data_dir=env_or_default(DATA_DIR_ENV, default_data_dir())),
        "io_manager": dg.FilesystemIOManager(base_dir=str(state_dir() / "storage")),
    },
)
