"""The load jobs, split where the partitioning differs: the unpartitioned exports, then the billing months."""

import dagster as dg

from synapse_pipeline.settings import MAX_RUNTIME_TAG

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("estoque_raw", "faturamento_raw", "clientes", "estoque"),
    description="Validate both exports, then load clientes and the estoque snapshot.",
    tags={MAX_RUNTIME_TAG: "1800"},  # 10M billing lines validate in about a minute
)

faturamento_job = dg.define_asset_job(
    "faturamento_job",
    selection=dg.AssetSelection.assets("faturamento"),
    description="Load billing months; run over a partition range to load several months in one run.",
    tags={MAX_RUNTIME_TAG: "3600"},
)
