"""The global forecaster and the top-down reconciliation: one model across SKUs, then fitted to the total's forecast.

`gradient_boosting`: one LightGBM model for every horizon, trained on every SKU, origin and horizon whose target is
at or before the forecast's origin: lags, short and long means and the share of months with a sale, each over the
SKU's scale (its mean of the last 12 months, so large and small SKUs share trees), the months since its first and
last sale, its demand class, the horizon and the calendar month of the target. One fit per origin, not one per
horizon: a third of the fits, and the horizons share what they have in common. The L1 objective forecasts a median,
as WAPE rewards.

`top_down`: the total's forecast is last year's same month times the year-over-year growth of the last 3 months; a
base forecaster's SKU forecasts are scaled so that they add up to it. On the exports this puts back the tonnes that
a median leaves out (new SKUs, the year's growth) without changing which SKU gets what share.
"""

import numpy as np

from synapse_pipeline.forecast.classes import CLASSES, demand_classes
from synapse_pipeline.forecast.models import SEASON, Forecaster

SCALE_MONTHS = 12
LAGS = 6
GROWTH_MONTHS = 3
MIN_TRAIN_COLUMNS = 3  # an origin's features need a few months behind it
ROUNDS = 75  # with learning rate 0.1: the accuracy of 150 at 0.05 (benchmarks/bench_forecast.py), in half the time
PARAMETERS: dict[str, object] = {
    "objective": "l1",
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "seed": 0,
    "deterministic": True,
    "num_threads": 1,
    "verbose": -1,
}


def sku_scale(history: np.ndarray) -> np.ndarray:
    """Each SKU's mean demand over its last SCALE_MONTHS months: what its errors and features are measured in."""
    return history[:, -SCALE_MONTHS:].mean(axis=1)


def features(history: np.ndarray) -> np.ndarray:
    """One row per SKU describing its series up to the last column, whatever the horizon."""
    months = history.shape[1]
    scale = sku_scale(history)
    unit = np.where(scale > 0, scale, 1.0)
    sold = history > 0
    ever = sold.any(axis=1)
    since_last = np.where(ever, np.argmax(sold[:, ::-1], axis=1), months)
    since_first = np.where(ever, months - np.argmax(sold, axis=1), 0)
    lags = [history[:, -k] / unit if months >= k else np.full(len(history), np.nan) for k in range(1, LAGS + 1)]
    classes = np.array([CLASSES.index(c) for c in demand_classes(history)], dtype=float)
    return np.column_stack(
        [
            *lags,
            history[:, -3:].mean(axis=1) / unit,
            history[:, -6:].mean(axis=1) / unit,
            sold[:, -6:].mean(axis=1),
            sold[:, -SCALE_MONTHS:].mean(axis=1),
            since_last,
            since_first,
            classes,
        ]
    )


def at_horizon(described: np.ndarray, origin: int, horizon: int) -> np.ndarray:
    """`features` of the series up to column `origin`, with the horizon and the target's calendar month."""
    rows = len(described)
    return np.column_stack([described, np.full(rows, horizon), np.full(rows, (origin + horizon) % SEASON)])


def gradient_boosting(history: np.ndarray, horizons: int) -> np.ndarray:
    """LightGBM across SKUs and horizons, fitted once; a SKU that sold nothing in a year is forecast 0."""
    months = history.shape[1]
    rows, targets, weights = [], [], []
    for origin in range(MIN_TRAIN_COLUMNS - 1, months - 1):
        seen = history[:, : origin + 1]
        origin_scale = sku_scale(seen)
        keep = origin_scale > 0
        described = features(seen[keep])
        for horizon in range(1, min(horizons, months - 1 - origin) + 1):
            rows.append(at_horizon(described, origin, horizon))
            targets.append(history[keep, origin + horizon] / origin_scale[keep])
            weights.append(origin_scale[keep])  # so that the loss is in tonnes, as WAPE is
    scale = sku_scale(history)
    if sum(len(t) for t in targets) < 2 * int(PARAMETERS["min_data_in_leaf"]):  # type: ignore[call-overload]
        return np.clip(np.repeat(scale[:, None], horizons, axis=1), 0.0, None)
    import lightgbm as lgb  # 0.12 s at every Dagster process's start otherwise; only the forecast fits

    data = lgb.Dataset(np.vstack(rows), np.concatenate(targets), weight=np.concatenate(weights))
    model = lgb.train(PARAMETERS, data, num_boost_round=ROUNDS)
    forecast = np.zeros((len(history), horizons))
    keep = scale > 0
    if keep.any():
        described = features(history[keep])
        for horizon in range(1, horizons + 1):
            forecast[keep, horizon - 1] = model.predict(at_horizon(described, months - 1, horizon)) * scale[keep]
    return np.clip(forecast, 0.0, None)


def total_forecast(total: np.ndarray, horizons: int) -> np.ndarray:
    """The total's forecast: the same month a year before times the growth of the last GROWTH_MONTHS months over
    the same months a year before; the mean of the last GROWTH_MONTHS months where the series is under 15 months."""
    last = len(total) - 1
    year_ago = total[last - SEASON - GROWTH_MONTHS + 1 : last - SEASON + 1]
    growth = (
        total[-GROWTH_MONTHS:].sum() / year_ago.sum()
        if last - SEASON - GROWTH_MONTHS + 1 >= 0 and year_ago.sum() > 0
        else None
    )
    fallback = total[-GROWTH_MONTHS:].mean()
    return np.array(
        [total[last + h - SEASON] * growth if growth is not None else fallback for h in range(1, horizons + 1)]
    )


def top_down(base: Forecaster) -> Forecaster:
    """`base`'s SKU forecasts scaled, per horizon, to add up to the total's forecast."""

    def forecast(history: np.ndarray, horizons: int) -> np.ndarray:
        sku = base(history, horizons)
        summed = sku.sum(axis=0)
        target = total_forecast(history.sum(axis=0), horizons)
        factor = np.where(summed > 0, target / np.where(summed > 0, summed, 1.0), 1.0)
        return np.clip(sku * factor, 0.0, None)

    forecast.__doc__ = f"{base.__doc__} Reconciled top-down to the total's forecast."
    return forecast
