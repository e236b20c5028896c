"""The report job: one month's report per run (partitioned like the billing)."""

import dagster as dg

from synapse_pipeline.settings import MAX_RUNTIME_TAG

relatorio_job = dg.define_asset_job(
    "relatorio_job",
    selection=dg.AssetSelection.assets("relatorio_mensal"),
    description="Render and store the report of a month, or of a range of months in one run.",
    tags={MAX_RUNTIME_TAG: "1800"},
)
