"""The forecast stage as a job, for a manual run or `synapse run` beside the eager automation."""

import dagster as dg

from synapse_pipeline.settings import MAX_RUNTIME_TAG

FORECAST_GROUP = "forecast"

forecast_job = dg.define_asset_job(
    "forecast_job",
    selection=dg.AssetSelection.groups(FORECAST_GROUP),
    description="Rebuild monthly demand, the backtest, the forecast and the stock recommendations.",
    tags={MAX_RUNTIME_TAG: "1800"},
)
