"""The monthly report on the first of the month, in the distributor's time zone."""

from datetime import timedelta

import dagster as dg

from synapse_pipeline.ingest.partitions import monthly_partitions
from synapse_pipeline.reports.jobs import relatorio_job
from synapse_pipeline.settings import TIMEZONE


@dg.schedule(
    job=relatorio_job,
    cron_schedule="0 7 1 * *",  # 07:00 on the 1st
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="07:00 São Paulo time on the 1st: renders the report of the month just ended.",
)
def monthly_report_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """Render the report of the month that has just ended."""
    this_month = context.scheduled_execution_time.date().replace(day=1)
    key = (this_month - timedelta(days=1)).replace(day=1).isoformat()
    if not monthly_partitions.has_partition_key(key, dynamic_partitions_store=context.instance):
        return dg.SkipReason(f"nothing is billed in {key[:7]} yet: no report to render")
    return dg.RunRequest(run_key=f"relatorio:{key}", partition_key=key)
