"""The KPI rebuild as a job, for a manual run or a backfill beside the eager automation."""

import dagster as dg

KPI_GROUP = "kpis"

kpi_job = dg.define_asset_job(
    "kpi_job",
    selection=dg.AssetSelection.groups(KPI_GROUP),
    description="Rebuild every KPI table from the loaded data.",
)
