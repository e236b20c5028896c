"""The report job: one month's report per run (partitioned like the billing)."""

import dagster as dg

relatorio_job = dg.define_asset_job(
    "relatorio_job",
    selection=dg.AssetSelection.assets("relatorio_mensal"),
    description="Render and store one month's report.",
)
