"""The 80% interval from the backtest's own out-of-sample errors, and how often it held the actual.

A SKU's error at an origin is (actual - forecast) / scale, the scale its mean demand over the 12 months up to the
origin, so that large and small SKUs pool; the interval of a forecast f is [max(0, f + q10 x scale), f + q90 x
scale], q10 and q90 split-conformal quantiles of its demand class's errors at its horizon (all classes' where a
class has fewer than MIN_ERRORS): of n errors sorted, the ceil((n + 1) x 0.9)-th for q90 and the floor((n + 1) x
0.1)-th for q10 (the largest and smallest when n is under 9), so that a few errors give a wide interval, not a
narrow one. The total's errors are relative: actual / forecast - 1. Coverage is measured honestly: at each origin
the quantiles come from targets up to that origin only, and the origin's forecasts are then judged against months
after it.
"""

from dataclasses import dataclass

import numpy as np

from synapse_pipeline.forecast.backtest import HORIZONS, forecasts_by_origin, origins
from synapse_pipeline.forecast.classes import demand_classes
from synapse_pipeline.forecast.global_model import sku_scale
from synapse_pipeline.forecast.models import Forecaster

LOWER, UPPER = 0.10, 0.90
INTERVAL_ORIGINS = 12  # origins whose errors make the interval: the year before the last complete month
MIN_ERRORS = 20
TOTAL = "total"


@dataclass(frozen=True)
class Errors:
    """Every scored (SKU or total, origin, horizon) of a backtest: what the quantiles learn and coverage judges."""

    origin: np.ndarray
    horizon: np.ndarray
    demand_class: np.ndarray  # TOTAL for the total's rows
    forecast: np.ndarray
    actual: np.ndarray
    scale: np.ndarray  # the SKU's scale; the total's forecast for its rows

    @property
    def error(self) -> np.ndarray:
        return (self.actual - self.forecast) / self.scale

    def at_horizon(self, horizon: int) -> "Errors":
        """The rows of one horizon."""
        rows = self.horizon == horizon
        return Errors(
            *(getattr(self, f)[rows] for f in ("origin", "horizon", "demand_class", "forecast", "actual", "scale"))
        )


def backtest_errors(demand: np.ndarray, forecasts: dict[int, np.ndarray]) -> Errors:
    """The errors of each origin's forecast (SKUs x HORIZONS) at the targets inside `demand`; a SKU with no sale in
    the year up to the origin is not forecast (as in `previsao_demanda`), a total forecast of 0 not judged."""
    parts: list[tuple[np.ndarray, ...]] = []
    for origin, forecast in forecasts.items():
        seen = demand[:, : origin + 1]
        scale, classes = sku_scale(seen), demand_classes(seen)
        keep = scale > 0
        for horizon in range(1, HORIZONS + 1):
            target = origin + horizon
            if target >= demand.shape[1]:
                continue
            count = int(keep.sum())
            parts.append(
                (
                    np.full(count, origin),
                    np.full(count, horizon),
                    classes[keep],
                    forecast[keep, horizon - 1],
                    demand[keep, target],
                    scale[keep],
                )
            )
            total = float(forecast[:, horizon - 1].sum())
            if total > 0:
                parts.append(
                    tuple(
                        np.array([value], dtype=object if isinstance(value, str) else float)
                        for value in (origin, horizon, TOTAL, total, demand[:, target].sum(), total)
                    )
                )
    if not parts:
        empty = np.zeros(0)
        return Errors(empty, empty, np.zeros(0, dtype=object), empty, empty, empty)
    columns = [np.concatenate([part[i] for part in parts]) for i in range(6)]
    return Errors(
        columns[0].astype(int),
        columns[1].astype(int),
        columns[2].astype(object),
        *(c.astype(float) for c in columns[3:]),
    )


Quantiles = dict[tuple[str, int], tuple[float, float]]  # (class or TOTAL, horizon) -> (q10, q90) of the errors


def quantiles(errors: Errors, up_to: int | None = None) -> Quantiles:
    """The LOWER and UPPER quantiles of the errors per class and horizon, from targets up to column `up_to` (all
    when None); a SKU class with fewer than MIN_ERRORS takes the quantiles of every SKU class at its horizon."""
    known = np.ones(len(errors.origin), dtype=bool) if up_to is None else errors.origin + errors.horizon <= up_to
    error, result = errors.error, {}
    for horizon in range(1, HORIZONS + 1):
        at = known & (errors.horizon == horizon)
        skus = at & (errors.demand_class != TOTAL)
        for demand_class in np.unique(errors.demand_class[at]).tolist():
            rows = at & (errors.demand_class == demand_class)
            if demand_class != TOTAL and rows.sum() < MIN_ERRORS:
                rows = skus
            if rows.sum() >= (2 if demand_class == TOTAL else MIN_ERRORS):
                result[(str(demand_class), horizon)] = conformal_bounds(error[rows])
    return result


def conformal_bounds(errors: np.ndarray) -> tuple[float, float]:
    """The floor((n + 1) x LOWER)-th and ceil((n + 1) x UPPER)-th smallest of n errors, within 1..n."""
    ordered, n = np.sort(errors), len(errors)
    low = min(max(int(np.floor((n + 1) * LOWER)), 1), n)
    high = min(max(int(np.ceil((n + 1) * UPPER)), 1), n)
    return float(ordered[low - 1]), float(ordered[high - 1])


def limits(forecast: np.ndarray, scale: np.ndarray, bounds: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The interval [max(0, forecast + q10 x scale), forecast + q90 x scale], never below 0."""
    low, high = bounds
    return np.clip(forecast + low * scale, 0.0, None), np.clip(forecast + high * scale, 0.0, None)


@dataclass(frozen=True)
class Coverage:
    """How often the interval held the actual over the origins it was judged on, SKUs and total apart."""

    skus: float
    sku_pairs: int
    total: float
    total_pairs: int


def coverage(errors: Errors) -> Coverage:
    """At each origin, the interval from the quantiles learned on targets up to it, judged on its own forecasts."""
    held = {"sku": [0, 0], "total": [0, 0]}
    for origin in np.unique(errors.origin).tolist():
        learned = quantiles(errors, up_to=origin)
        judged = errors.origin == origin
        for demand_class, horizon in {
            (str(c), int(h)) for c, h in zip(errors.demand_class[judged], errors.horizon[judged], strict=True)
        }:
            bounds = learned.get((demand_class, horizon))
            if bounds is None:
                continue
            rows = judged & (errors.demand_class == demand_class) & (errors.horizon == horizon)
            low, high = limits(errors.forecast[rows], errors.scale[rows], bounds)
            inside = (errors.actual[rows] >= low - 1e-9) & (errors.actual[rows] <= high + 1e-9)
            kind = "total" if demand_class == TOTAL else "sku"
            held[kind][0] += int(inside.sum())
            held[kind][1] += int(rows.sum())
    (sku_in, sku_n), (total_in, total_n) = held["sku"], held["total"]
    return Coverage(
        sku_in / sku_n if sku_n else float("nan"), sku_n, total_in / total_n if total_n else float("nan"), total_n
    )


def interval_errors(history: np.ndarray, forecaster: Forecaster) -> Errors:
    """The forecaster's errors over the INTERVAL_ORIGINS origins before the last column of `history`."""
    return backtest_errors(
        history, forecasts_by_origin(history, forecaster, origins(history.shape[1], INTERVAL_ORIGINS))
    )
