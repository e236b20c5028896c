"""The morning load, in the distributor's time zone."""

import dagster as dg

from synapse_pipeline.ingest.jobs import ingest_job
from synapse_pipeline.settings import TIMEZONE

daily_load_schedule = dg.ScheduleDefinition(
    name="daily_load_schedule",
    job=ingest_job,
    cron_schedule="0 6 * * *",  # 06:00 every day, after the ERP's nightly export
    execution_timezone=TIMEZONE,
    description="Validate the exports and load clientes and estoque; faturamento_months_sensor loads the months.",
)
