"""Demand and its uncertainty over a span of weeks: from the forecast and its 80% interval, or from the history.

A purchase must cover the protection period, the lead time L plus the review period R (weeks), before the next one
can arrive. From the forecast, the span takes the forecast months in order (a month is 52/12 weeks; past the third,
the third again): a month covered for a fraction f adds f x its forecast to the demand and f x sigma^2 to the
variance, sigma the month's error deviation read from the interval's high end, (limite_superior -
toneladas_previstas) / z(0.90): the interval's own error model, its high side, where a stock-out lies. Months count
as independent. From the history (a SKU with no forecast or no interval): weeks x the mean weekly demand, and weeks
x the variance of the weekly demand, as before the forecast had an interval.
"""

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from sqlalchemy import Connection, inspect, select

from synapse_pipeline.forecast.tables import PREVISAO_DEMANDA

WEEKS_PER_MONTH = 52 / 12
Z90 = NormalDist().inv_cdf(0.90)
FROM_FORECAST, FROM_HISTORY = "previsao", "historico_52_semanas"


@dataclass(frozen=True)
class Span:
    """Demand over a span of weeks, the variance of its error, and where both come from."""

    demand: float
    variance: float
    source: str


@dataclass(frozen=True)
class SkuForecast:
    """A SKU's forecast and its interval's high end, month by month from the first forecast month."""

    tonnes: tuple[float, ...]
    upper: tuple[float, ...]

    def over(self, weeks: float) -> Span:
        """The forecast demand over the first `weeks` weeks of the forecast months, and its error's variance."""
        remaining, demand, variance = weeks / WEEKS_PER_MONTH, 0.0, 0.0
        month = 0
        while remaining > 1e-12:
            share = min(1.0, remaining)
            tonnes, upper = self.tonnes[min(month, len(self.tonnes) - 1)], self.upper[min(month, len(self.upper) - 1)]
            demand += share * tonnes
            variance += share * (max(0.0, upper - tonnes) / Z90) ** 2
            remaining -= share
            month += 1
        return Span(demand, variance, FROM_FORECAST)


def from_history(weekly: np.ndarray, weeks: float) -> Span:
    """The history's mean weekly demand and its weekly variance (sample), times `weeks`."""
    return Span(float(weekly.mean()) * weeks, float(weekly.var(ddof=1)) * weeks, FROM_HISTORY)


def read_forecasts(conn: Connection) -> dict[str, SkuForecast]:
    """Each forecast SKU with an interval at every horizon; none before the forecast's first build."""
    if not inspect(conn).has_table(PREVISAO_DEMANDA.name):
        return {}
    table = PREVISAO_DEMANDA.c
    by_sku: dict[str, list[tuple[int, float, float | None]]] = {}
    for sku, horizon, tonnes, upper in conn.execute(
        select(table.SKU, table.horizonte, table.toneladas_previstas, table.limite_superior)
    ):
        by_sku.setdefault(sku, []).append((horizon, tonnes, upper))
    forecasts = {}
    for sku, months in by_sku.items():
        ordered = sorted(months)
        if all(upper is not None for _, _, upper in ordered):
            forecasts[sku] = SkuForecast(
                tuple(float(t) for _, t, _ in ordered),
                tuple(float(u) for _, _, u in ordered),  # type: ignore[arg-type]
            )
    return forecasts
