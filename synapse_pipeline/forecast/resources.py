"""`ForecastSettings`: which forecaster fills `previsao_demanda`, and the replenishment policy of the
recommendations; set in the launchpad, the forecaster also by SYNAPSE_FORECAST_MODEL."""

import dagster as dg
from pydantic import Field

from synapse_pipeline.forecast.selection import DEFAULT, FORECASTERS
from synapse_pipeline.forecast.stock import StockPolicy

FORECAST_MODEL_ENV = "SYNAPSE_FORECAST_MODEL"


class ForecastSettings(dg.ConfigurableResource):
    """The forecaster and the stock policy.

    The default forecaster, `combinacao`, averages the global model's and the per-class selection's SKU forecasts
    and reconciles them to the total's forecast, choosing nothing on the backtest: one month ahead its WAPE is
    0.836 of naive's on the sample, 0.965 and 0.954 on two generated 1M-line exports (`escolha_aninhada`: 0.837,
    1.004, 0.976), with the total's bias, -8.9% on the sample (benchmarks/bench_forecast.py).
    """

    modelo: str = Field(default=DEFAULT, description=f"One of: {', '.join(FORECASTERS)}")
    lead_time_semanas: float = Field(default=4.0, description="Supplier lead time, weeks")
    desvio_lead_time_semanas: float = Field(default=1.0, description="Standard deviation of the lead time, weeks")
    revisao_semanas: float = Field(default=1.0, description="Review period, weeks")
    nivel_servico: float = Field(default=0.95, description="Chance of no stock-out in a cycle (sets z)")
    excesso_semanas: float = Field(default=26.0, description="Coverage above which stock is excess, weeks")

    def policy(self) -> StockPolicy:
        if not 0.5 <= self.nivel_servico < 1:
            raise ValueError(f"nivel_servico must be in [0.5, 1), got {self.nivel_servico}")
        return StockPolicy(
            self.lead_time_semanas,
            self.desvio_lead_time_semanas,
            self.revisao_semanas,
            self.nivel_servico,
            self.excesso_semanas,
        )

    def forecaster_name(self) -> str:
        if self.modelo not in FORECASTERS:
            raise ValueError(f"unknown forecaster {self.modelo!r}; choose one of: {', '.join(FORECASTERS)}")
        return self.modelo
