"""The forecast stage's definitions: its tables (eager after the loads), its checks, its job and settings."""

import dagster as dg

from synapse_pipeline.forecast import assets
from synapse_pipeline.forecast.checks import forecast_checks
from synapse_pipeline.forecast.jobs import FORECAST_GROUP, forecast_job
from synapse_pipeline.forecast.resources import FORECAST_MODEL_ENV, ForecastSettings
from synapse_pipeline.forecast.selection import DEFAULT
from synapse_pipeline.settings import env_or_default

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([assets], group_name=FORECAST_GROUP),
    asset_checks=[forecast_checks],
    jobs=[forecast_job],
    resources={"forecast_settings": ForecastSettings(modelo=env_or_default(FORECAST_MODEL_ENV, DEFAULT))},
)
