"""Rolling-origin backtest: every forecaster judged only on months it did not see, against the same actuals.

Origins are the six months before the last complete month M; from each, the forecaster sees demand up to and
including the origin and forecasts 1 to 3 months ahead; only targets up to M are scored.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from synapse_pipeline.forecast.models import Forecaster

HORIZONS = 3
ORIGINS = 6


@dataclass(frozen=True)
class Score:
    """One forecaster's accuracy at one horizon, over every SKU and scored origin."""

    modelo: str
    horizonte: int
    origens: int
    skus: int
    wape: float  # sum |actual - forecast| / sum actual
    mase: float  # mean absolute error / in-sample one-step naive error, tonne-weighted over SKUs
    vies: float  # sum (forecast - actual) / sum actual
    cobertura_80: float | None = None  # the configured forecaster's: share of SKU actuals inside the 80% interval


def origins(months: int, count: int = ORIGINS) -> range:
    """The origin columns of a series of `months` complete months: the `count` months before the last."""
    last = months - 1
    return range(max(0, last - count), last)


def forecasts_by_origin(
    demand: np.ndarray, forecaster: Forecaster, origin_columns: Iterable[int]
) -> dict[int, np.ndarray]:
    """Each origin's forecast (SKUs x HORIZONS), made from the columns up to and including the origin."""
    return {origin: forecaster(demand[:, : origin + 1], HORIZONS) for origin in origin_columns}


def scored_pairs(demand: np.ndarray, forecasts: dict[int, np.ndarray], horizon: int) -> list[tuple[int, np.ndarray]]:
    """(target column, forecast) pairs at `horizon`, for the targets inside `demand`."""
    return [
        (origin + horizon, forecast[:, horizon - 1])
        for origin, forecast in forecasts.items()
        if origin + horizon < demand.shape[1]
    ]


def wape(demand: np.ndarray, pairs: list[tuple[int, np.ndarray]]) -> float:
    """Weighted absolute percentage error of (target column, forecast) pairs; NaN when nothing was sold."""
    actual = sum(float(demand[:, target].sum()) for target, _ in pairs)
    error = sum(float(np.abs(demand[:, target] - forecast).sum()) for target, forecast in pairs)
    return error / actual if actual > 0 else float("nan")


def bias(demand: np.ndarray, pairs: list[tuple[int, np.ndarray]]) -> float:
    """Forecast minus actual tonnes over the actual, of (target column, forecast) pairs; NaN when nothing was sold."""
    actual = sum(float(demand[:, target].sum()) for target, _ in pairs)
    over = sum(float((forecast - demand[:, target]).sum()) for target, forecast in pairs)
    return over / actual if actual > 0 else float("nan")


def score(name: str, demand: np.ndarray, forecaster: Forecaster) -> list[Score]:
    """The forecaster's Score at each horizon on `demand` (SKUs x complete months)."""
    forecasts = forecasts_by_origin(demand, forecaster, origins(demand.shape[1]))
    naive_scale = np.abs(np.diff(demand, axis=1)).mean(axis=1) if demand.shape[1] > 1 else np.zeros(len(demand))
    scores = []
    for horizon in range(1, HORIZONS + 1):
        pairs = scored_pairs(demand, forecasts, horizon)
        if not pairs:
            continue
        actual = np.stack([demand[:, target] for target, _ in pairs], axis=1)
        predicted = np.stack([forecast for _, forecast in pairs], axis=1)
        sku_tonnes = actual.sum(axis=1)
        scaled = np.abs(actual - predicted).mean(axis=1) / np.where(naive_scale > 0, naive_scale, np.nan)
        weighted = (sku_tonnes > 0) & (naive_scale > 0)  # a constant series has no naive error to scale by
        weight = sku_tonnes[weighted].sum()
        scores.append(
            Score(
                modelo=name,
                horizonte=horizon,
                origens=len(pairs),
                skus=len(demand),
                wape=wape(demand, pairs),
                mase=float((scaled[weighted] * sku_tonnes[weighted]).sum() / weight) if weight > 0 else float("nan"),
                vies=bias(demand, pairs),
            )
        )
    return scores
