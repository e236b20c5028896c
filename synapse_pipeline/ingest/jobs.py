"""The load jobs, split where the partitioning differs: the unpartitioned exports, then the billing months."""

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
