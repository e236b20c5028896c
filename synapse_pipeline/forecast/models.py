"""The simple forecasters, in numpy: each maps every SKU's monthly demand up to an origin to the next months.

A forecaster takes `history` (SKUs x months, the last column is the origin) and a number of horizons, and returns
SKUs x horizons of tonnes, never negative. None of them sees anything after the origin's column.
"""

from collections.abc import Callable

import numpy as np

Forecaster = Callable[[np.ndarray, int], np.ndarray]

SES_ALPHA = 0.3  # level smoothing of `ses`
TSB_ALPHA, TSB_BETA = 0.3, 0.2  # size and probability smoothing of `tsb`
SEASON = 12  # months


def _flat(level: np.ndarray, horizons: int) -> np.ndarray:
    """The same forecast for every horizon."""
    return np.repeat(np.clip(level, 0.0, None)[:, None], horizons, axis=1)


def naive(history: np.ndarray, horizons: int) -> np.ndarray:
    """Last month's demand."""
    return _flat(history[:, -1], horizons)


def seasonal_naive(history: np.ndarray, horizons: int) -> np.ndarray:
    """The same month a year before the target; last month's demand where the series has no such month."""
    months = history.shape[1]
    columns = []
    for h in range(1, horizons + 1):
        year_before = months - 1 + h - SEASON  # the target's column minus twelve
        columns.append(history[:, year_before] if year_before >= 0 else history[:, -1])
    return np.clip(np.stack(columns, axis=1), 0.0, None)


def moving_average(window: int) -> Forecaster:
    """The mean of the last `window` months (of all months, when the series is shorter)."""

    def forecast(history: np.ndarray, horizons: int) -> np.ndarray:
        return _flat(history[:, -window:].mean(axis=1), horizons)

    forecast.__doc__ = f"Mean of the last {window} months."
    return forecast


def exponential_smoothing(alpha: float) -> Forecaster:
    """Simple exponential smoothing: the level started at the first month's demand."""

    def forecast(history: np.ndarray, horizons: int) -> np.ndarray:
        level = history[:, 0].astype(np.float64)
        for t in range(1, history.shape[1]):
            level = alpha * history[:, t] + (1 - alpha) * level
        return _flat(level, horizons)

    forecast.__doc__ = f"Simple exponential smoothing, alpha {alpha}."
    return forecast


def teunter_syntetos_babai(alpha: float, beta: float) -> Forecaster:
    """TSB: a smoothed probability of a sale (beta) times a smoothed size of a sale (alpha).

    Nothing is smoothed before the first sale; the first sale sets the size, and the probability starts at 0, so
    that it decays after a SKU stops selling (unlike Croston's, which keeps forecasting its last rate).
    """

    def forecast(history: np.ndarray, horizons: int) -> np.ndarray:
        size = np.zeros(history.shape[0])
        probability = np.zeros(history.shape[0])
        seen = np.zeros(history.shape[0], dtype=bool)
        for t in range(history.shape[1]):
            demand = history[:, t]
            sale = demand > 0
            size = np.where(sale & ~seen, demand, np.where(sale, size + alpha * (demand - size), size))
            seen |= sale
            probability = np.where(seen, probability + beta * (sale - probability), probability)
        return _flat(probability * size, horizons)

    forecast.__doc__ = f"Teunter-Syntetos-Babai, alpha {alpha}, beta {beta}."
    return forecast


def mean_of(*members: Forecaster) -> Forecaster:
    """The members' forecasts averaged SKU by SKU, with equal weights: a combination that is chosen or fitted on no
    month, and whose error is at most the mean of the members' (absolute error is convex), often less."""

    def forecast(history: np.ndarray, horizons: int) -> np.ndarray:
        return np.mean([member(history, horizons) for member in members], axis=0)

    forecast.__doc__ = "Mean of: " + " | ".join(str(member.__doc__) for member in members)
    return forecast


SIMPLE_MODELS: dict[str, Forecaster] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "ma3": moving_average(3),
    "ma6": moving_average(6),
    "ses": exponential_smoothing(SES_ALPHA),
    "tsb": teunter_syntetos_babai(TSB_ALPHA, TSB_BETA),
}
