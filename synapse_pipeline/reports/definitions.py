"""The reports' definitions: the monthly report, its job and schedule, the sensor that keeps it current."""

import dagster as dg

from synapse_pipeline.reports import assets
from synapse_pipeline.reports.jobs import relatorio_job
from synapse_pipeline.reports.schedules import monthly_report_schedule
from synapse_pipeline.reports.sensors import stale_reports_sensor

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([assets], group_name="reports"),
    jobs=[relatorio_job],
    schedules=[monthly_report_schedule],
    sensors=[stale_reports_sensor],
)
