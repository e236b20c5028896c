"""Schedules in the distributor's time zone: the loads every morning, the report on the first of the month."""

from datetime import timedelta

import dagster as dg

from synapse_pipeline.jobs import ingest_job, relatorio_job
from synapse_pipeline.partitions import monthly_partitions

TIMEZONE = "America/Sao_Paulo"

daily_load_schedule = dg.ScheduleDefinition(
    name="daily_load_schedule",
    job=ingest_job,
    cron_schedule="0 6 * * *",  # 06:00 every day, after the ERP's nightly export
    execution_timezone=TIMEZONE,
    description="Validate the exports and load clientes and estoque; faturamento_months_sensor loads the months.",
)


@dg.schedule(job=relatorio_job, cron_schedule="0 7 1 * *", execution_timezone=TIMEZONE)  # 07:00 on the 1st
def monthly_report_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """Render the report of the month that has just ended."""
    this_month = context.scheduled_execution_time.date().replace(day=1)
    key = (this_month - timedelta(days=1)).replace(day=1).isoformat()
    if key not in monthly_partitions.get_partition_keys():
        return dg.SkipReason(f"{key} is not a report partition")
    return dg.RunRequest(run_key=f"relatorio:{key}", partition_key=key)
