"""A forecaster's answers kept for the same history: the nested choice and the interval backtest ask a candidate
for the same origins again and again, and a gradient-boosting fit is worth keeping."""

import hashlib
from collections import OrderedDict

import numpy as np

from synapse_pipeline.forecast.models import Forecaster

KEPT = 256  # answers per forecaster: a few backtests' origins


def memoised(forecaster: Forecaster) -> Forecaster:
    """`forecaster`, answering a history it has seen (same shape, same bytes) from memory."""
    kept: OrderedDict[tuple[tuple[int, ...], str, int], np.ndarray] = OrderedDict()

    def forecast(history: np.ndarray, horizons: int) -> np.ndarray:
        history = np.ascontiguousarray(history, dtype=np.float64)
        key = (history.shape, hashlib.sha1(history.tobytes()).hexdigest(), horizons)
        if key not in kept:
            kept[key] = forecaster(history, horizons)
            if len(kept) > KEPT:
                kept.popitem(last=False)
        return kept[key].copy()

    forecast.__doc__ = forecaster.__doc__
    return forecast
