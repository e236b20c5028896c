"""Jobs: the loads, split where the partitioning differs."""

import dagster as dg

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("estoque_raw", "faturamento_raw", "clientes", "estoque"),
    description="Validate both exports, then load clientes and the estoque snapshot.",
)

faturamento_job = dg.define_asset_job(
    "faturamento_job",
    selection=dg.AssetSelection.assets("faturamento"),
    description="Load billing months; run over a partition range to load several months in one run.",
)

kpi_job = dg.define_asset_job(
    "kpi_job",
    selection=dg.AssetSelection.groups("kpis"),
    description="Rebuild every KPI table from the loaded data.",
)

relatorio_job = dg.define_asset_job(
    "relatorio_job",
    selection=dg.AssetSelection.assets("relatorio_mensal"),
    description="Render and store one month's report.",
)
