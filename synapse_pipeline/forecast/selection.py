"""`selecao_por_classe`: for each demand class, the candidate that did best on the months just before the origin.

On data like the real exports (most SKUs intermittent, levels persistent but noisy) no single simple model is
best for every SKU: steady SKUs want a quick level, intermittent ones a slowly decaying chance of a sale. At each
origin this forecaster classes the SKUs on what it sees, backtests every candidate on the INNER_ORIGINS months
before the origin (targets up to the origin only), and gives each class the candidate with the lowest WAPE plus
BIAS_WEIGHT x |bias| there. Nothing after the origin enters a choice.
"""

import numpy as np

from synapse_pipeline.forecast.backtest import bias, forecasts_by_origin, origins, scored_pairs, wape
from synapse_pipeline.forecast.classes import demand_classes
from synapse_pipeline.forecast.models import (
    SIMPLE_MODELS,
    Forecaster,
    exponential_smoothing,
    moving_average,
    teunter_syntetos_babai,
)

NAME = "selecao_por_classe"
INNER_ORIGINS = 6
BIAS_WEIGHT = 0.25  # WAPE alone prefers forecasts that run low on intermittent demand; this keeps them nearer 0 bias
FALLBACK = "tsb"  # with fewer than two months before the origin to choose on

CANDIDATES: dict[str, Forecaster] = {
    "naive": SIMPLE_MODELS["naive"],
    "ma3": SIMPLE_MODELS["ma3"],
    "ma6": SIMPLE_MODELS["ma6"],
    "ma12": moving_average(12),
    **{f"ses_{alpha}": exponential_smoothing(alpha) for alpha in (0.1, 0.2, 0.3, 0.5)},
    **{
        f"tsb_{alpha}_{beta}": teunter_syntetos_babai(alpha, beta)
        for alpha, beta in ((0.1, 0.05), (0.1, 0.1), (0.2, 0.1), (0.2, 0.2), (0.3, 0.2), (0.5, 0.3))
    },
}


def _loss(history: np.ndarray, pairs: list[tuple[int, np.ndarray]], rows: np.ndarray) -> float:
    """WAPE + BIAS_WEIGHT x |bias| of the rows' forecasts; infinite when the rows sold nothing."""
    demand, theirs = history[rows], [(target, forecast[rows]) for target, forecast in pairs]
    loss = wape(demand, theirs) + BIAS_WEIGHT * abs(bias(demand, theirs))
    return loss if np.isfinite(loss) else float("inf")


def choices(history: np.ndarray) -> dict[str, str]:
    """The candidate each demand class gets at the origin that ends `history` (classes with no choice: FALLBACK)."""
    classes = demand_classes(history)
    inner = origins(history.shape[1], INNER_ORIGINS)
    if len(inner) < 2:
        return {}
    pairs = {
        name: scored_pairs(history, forecasts_by_origin(history, candidate, inner), 1)
        for name, candidate in CANDIDATES.items()
    }
    chosen = {}
    for demand_class in np.unique(classes).tolist():
        rows = classes == demand_class
        losses = {name: _loss(history, candidate_pairs, rows) for name, candidate_pairs in pairs.items()}
        best = min(losses, key=losses.__getitem__)
        if np.isfinite(losses[best]):
            chosen[demand_class] = best
    return chosen


def selecao_por_classe(history: np.ndarray, horizons: int) -> np.ndarray:
    """Each SKU forecast by the candidate its demand class chose on the months before the origin."""
    classes = demand_classes(history)
    chosen = choices(history)
    forecast = SIMPLE_MODELS[FALLBACK](history, horizons)
    for name in set(chosen.values()):
        rows = np.isin(classes, [c for c, n in chosen.items() if n == name])
        forecast[rows] = CANDIDATES[name](history[rows], horizons)
    return forecast


FORECASTERS: dict[str, Forecaster] = {**SIMPLE_MODELS, NAME: selecao_por_classe}
