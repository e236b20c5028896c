"""`selecao_por_classe`: for each demand class, the candidate that did best on the months just before the origin.

On data like the real exports (most SKUs intermittent, levels persistent but noisy) no single simple model is
best for every SKU: steady SKUs want a quick level, intermittent ones a slowly decaying chance of a sale. At each
origin this forecaster classes the SKUs on what it sees, backtests every candidate on the INNER_ORIGINS months
before the origin (targets up to the origin only), and gives each class the candidate with the lowest WAPE plus
BIAS_WEIGHT x |bias| there. Nothing after the origin enters a choice.

`combinacao`, the default: the mean of `gradient_boosting`'s and `selecao_por_classe`'s SKU forecasts, reconciled
top-down to the total's forecast. A global model across SKUs and a local smoothing per class err in different
places; their equal-weight mean is chosen on no month (unlike `escolha_aninhada`, which picks one of the two
reconciled candidates on the 4 origins before each one) and did better than either alone on the sample and on
generated exports of two seeds (benchmarks/bench_forecast.py).
"""

import numpy as np

from synapse_pipeline.forecast.backtest import bias, forecasts_by_origin, origins, scored_pairs, wape
from synapse_pipeline.forecast.classes import demand_classes
from synapse_pipeline.forecast.global_model import gradient_boosting, top_down
from synapse_pipeline.forecast.memo import memoised
from synapse_pipeline.forecast.models import (
    SIMPLE_MODELS,
    Forecaster,
    exponential_smoothing,
    mean_of,
    moving_average,
    teunter_syntetos_babai,
)

NAME = "selecao_por_classe"
GRADIENT_BOOSTING = "gradient_boosting"
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


def _loss(
    history: np.ndarray, pairs: list[tuple[int, np.ndarray]], rows: np.ndarray, bias_weight: float = BIAS_WEIGHT
) -> float:
    """WAPE + bias_weight x |bias| of the rows' forecasts; infinite when the rows sold nothing."""
    demand, theirs = history[rows], [(target, forecast[rows]) for target, forecast in pairs]
    loss = wape(demand, theirs) + bias_weight * abs(bias(demand, theirs))
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


_by_class, _boosting = memoised(selecao_por_classe), memoised(gradient_boosting)
FORECASTERS: dict[str, Forecaster] = {
    **SIMPLE_MODELS,
    NAME: _by_class,
    GRADIENT_BOOSTING: _boosting,
    f"{NAME}_top_down": top_down(_by_class),
    f"{GRADIENT_BOOSTING}_top_down": top_down(_boosting),
}

NESTED = "escolha_aninhada"
NESTED_CANDIDATES: tuple[str, ...] = tuple(name for name in FORECASTERS if name.endswith("_top_down"))
NESTED_ORIGINS = 4
NESTED_BIAS_WEIGHT = 1.0  # a tonne the forecast runs low or high costs as much as a tonne of error: the bias check
NESTED_FALLBACK = f"{GRADIENT_BOOSTING}_top_down"  # with fewer than two origins before this one to choose on


def nested_choice(history: np.ndarray) -> str:
    """The candidate with the lowest WAPE + NESTED_BIAS_WEIGHT x |bias| at one month over the NESTED_ORIGINS origins
    before the one that ends `history`, all SKUs together; only months up to that origin are seen."""
    inner = origins(history.shape[1], NESTED_ORIGINS)
    if len(inner) < 2:
        return NESTED_FALLBACK
    every = np.ones(len(history), dtype=bool)
    losses = {
        name: _loss(
            history,
            scored_pairs(history, forecasts_by_origin(history, FORECASTERS[name], inner), 1),
            every,
            NESTED_BIAS_WEIGHT,
        )
        for name in NESTED_CANDIDATES
    }
    best = min(losses, key=losses.__getitem__)
    return best if np.isfinite(losses[best]) else NESTED_FALLBACK


def escolha_aninhada(history: np.ndarray, horizons: int) -> np.ndarray:
    """The forecast of the candidate chosen on the origins before this one (`nested_choice`)."""
    return FORECASTERS[nested_choice(history)](history, horizons)


FORECASTERS[NESTED] = escolha_aninhada

COMBINATION = "combinacao"
FORECASTERS[COMBINATION] = top_down(mean_of(_boosting, _by_class))
DEFAULT = COMBINATION  # the forecaster ForecastSettings uses unless told otherwise
