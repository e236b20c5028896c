"""The one `Definitions` of Synapse: assets by group, jobs, schedules, sensors and resources from the environment."""

import os

import dagster as dg

from synapse_pipeline.assets import aggregates, backup, ingest, reports
from synapse_pipeline.assets.backup import BackupSettings
from synapse_pipeline.executors import kpi_job_celery
from synapse_pipeline.jobs import (
    backup_job,
    deliver_reports_job,
    faturamento_job,
    ingest_job,
    kpi_job,
    relatorio_job,
)
from synapse_pipeline.resources import ExportFiles, Mailer, Warehouse
from synapse_pipeline.schedules import daily_load_schedule, monthly_report_schedule
from synapse_pipeline.sensors import export_file_sensor, faturamento_months_sensor, report_delivery_sensor
from synapse_pipeline.settings import (
    BACKUP_DIR_ENV,
    BACKUP_KEEP_ENV,
    DATA_DIR_ENV,
    DATABASE_URL_ENV,
    OUTBOX_DIR_ENV,
    SMTP_HOST_ENV,
    SMTP_PASSWORD_ENV,
    SMTP_PORT_ENV,
    SMTP_SENDER_ENV,
    SMTP_STARTTLS_ENV,
    SMTP_USER_ENV,
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
        *dg.load_assets_from_modules([backup], group_name="maintenance"),
    ],
    asset_checks=dg.load_asset_checks_from_modules([ingest]),
    jobs=[ingest_job, faturamento_job, kpi_job, kpi_job_celery, relatorio_job, deliver_reports_job, backup_job],
    schedules=[daily_load_schedule, monthly_report_schedule],
    sensors=[export_file_sensor, faturamento_months_sensor, report_delivery_sensor],
    resources={
        "warehouse": Warehouse(url=env_or_default(DATABASE_URL_ENV, default_database_url())),
        "export_files": ExportFiles(data_dir=env_or_default(DATA_DIR_ENV, default_data_dir())),
        "mailer": Mailer(
            host=env_or_default(SMTP_HOST_ENV, ""),
            port=int(os.environ.get(SMTP_PORT_ENV) or 587),
            username=env_or_default(SMTP_USER_ENV, ""),
            password=env_or_default(SMTP_PASSWORD_ENV, ""),
            starttls=os.environ.get(SMTP_STARTTLS_ENV, "true").lower() not in ("0", "false", "no", "off"),
            sender=env_or_default(SMTP_SENDER_ENV, "synapse@localhost"),
            outbox_dir=env_or_default(OUTBOX_DIR_ENV, str(state_dir() / "outbox")),
        ),
        "backup_settings": BackupSettings(
            directory=env_or_default(BACKUP_DIR_ENV, str(state_dir() / "backups")),
            keep=int(os.environ.get(BACKUP_KEEP_ENV) or 7),
        ),
        "io_manager": dg.FilesystemIOManager(base_dir=str(state_dir() / "storage")),
    },
)
