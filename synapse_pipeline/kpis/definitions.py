"""The KPI stage's definitions: the tables (eager after the loads, by the automation sensor), the rebuild jobs."""

import dagster as dg

from synapse_pipeline.kpis import assets
from synapse_pipeline.kpis.automation import automation_sensor
from synapse_pipeline.kpis.celery import kpi_job_celery
from synapse_pipeline.kpis.checks import kpi_checks
from synapse_pipeline.kpis.jobs import KPI_GROUP, kpi_job

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([assets], group_name=KPI_GROUP),
    asset_checks=kpi_checks,
    jobs=[kpi_job, kpi_job_celery],
    sensors=[automation_sensor],
)
