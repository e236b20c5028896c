"""The KPI rebuild as a job, for a manual run or a backfill beside the eager automation."""

import dagster as dg

from synapse_pipeline.settings import MAX_RUNTIME_TAG

KPI_GROUP = "kpis"

kpi_job = dg.define_asset_job(
    "kpi_job",
    selection=dg.AssetSelection.groups(KPI_GROUP),
    description="Rebuild every KPI table from the loaded data.",
    tags={MAX_RUNTIME_TAG: "1800"},
)
