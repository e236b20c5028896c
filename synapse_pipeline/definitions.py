"""The one `Definitions` of Synapse: each stage of the data's way hands over its own, merged here."""

import dagster as dg

from synapse_pipeline.delivery import definitions as delivery
from synapse_pipeline.forecast import definitions as forecast
from synapse_pipeline.ingest import definitions as ingest
from synapse_pipeline.kpis import definitions as kpis
from synapse_pipeline.maintenance import definitions as maintenance
from synapse_pipeline.reports import definitions as reports
from synapse_pipeline.settings import OWNER
from synapse_pipeline.warehouse import definitions as warehouse

# Each run's steps in the run's own process: a step takes a fraction of a second, starting a process per step
# (Dagster's default) took seconds each, and the embedded SQLite warehouse takes one writer at a time anyway.
# kpi_job_celery keeps its own executor.
defs = dg.Definitions.merge(
    warehouse.defs,
    ingest.defs,
    kpis.defs,
    forecast.defs,
    reports.defs,
    delivery.defs,
    maintenance.defs,
    dg.Definitions(executor=dg.in_process_executor),
).map_asset_specs(func=lambda spec: spec.merge_attributes(owners=[OWNER]))
