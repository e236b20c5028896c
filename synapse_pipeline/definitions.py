"""The one `Definitions` of Synapse: each stage of the data's way hands over its own, merged here."""

import dagster as dg

from synapse_pipeline.delivery import definitions as delivery
from synapse_pipeline.forecast import definitions as forecast
from synapse_pipeline.ingest import definitions as ingest
from synapse_pipeline.kpis import definitions as kpis
from synapse_pipeline.maintenance import definitions as maintenance
from synapse_pipeline.reports import definitions as reports
from synapse_pipeline.warehouse import definitions as warehouse

defs = dg.Definitions.merge(
    warehouse.defs, ingest.defs, kpis.defs, forecast.defs, reports.defs, delivery.defs, maintenance.defs
)
