"""The KPI stage's definitions: the tables (eager after the loads), the rebuild job and its Celery twin."""

import dagster as dg

from synapse_pipeline.kpis import assets
from synapse_pipeline.kpis.celery import kpi_job_celery
from synapse_pipeline.kpis.jobs import KPI_GROUP, kpi_job

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([assets], group_name=KPI_GROUP),
    jobs=[kpi_job, kpi_job_celery],
)
