"""Each sold SKU's demand over the months, shaped like the real file's ("Demand over time" in the profile).

SKUs start and stop selling, most sell in a few months only (intermittent, lumpy), and a monthly level that is
persistent but noisy (a log-AR(1)) moves the steady ones: a sample of constant rates would flatter long averages.
Each SKU's demand is one client's, as in the real file, but for SHARED_SKUS.
"""

from dataclasses import dataclass

import numpy as np

STEADY_SHARE = 0.3  # the most popular SKUs sell every month of their life
NEW_SHARE = 0.18  # first sale in the last six complete months
LATE_START_SHARE = 0.25  # of the others: first sale some months after the file's start
STOP_SHARE = 0.5  # last sale before the last three complete months
ACTIVE_BETA = (1.6, 1.8)  # chance that an intermittent SKU sells in a month of its life
LEVEL_PERSISTENCE, LEVEL_NOISE = 0.7, 0.35  # log-level AR(1): month-to-month persistence and shock
POPULARITY_POWER = 0.75  # flattens the catalogue's popularity: about 180 SKUs make 95% of the tonnes
SHARED_SKUS = 2  # SKUs billed to any client


@dataclass(frozen=True)
class DemandPlan:
    """Which SKU a billing line of each month is for, and which client buys each SKU."""

    month_probabilities: np.ndarray  # sold SKUs x months; each month's column sums to 1
    owner: np.ndarray  # client index per sold SKU; -1 for SKUs billed to any client
    anchors: np.ndarray  # one steady SKU per client (index into the sold SKUs), so every client is billed


def demand_plan(
    rng: np.random.Generator, popularity: np.ndarray, client_weights: np.ndarray, months: int
) -> DemandPlan:
    """Lifetimes, active months and levels for SKUs of the given popularity, over `months` (the last partial)."""
    skus, clients = len(popularity), len(client_weights)
    complete = months - 1
    by_popularity = np.argsort(-popularity, kind="stable")
    steady = np.zeros(skus, dtype=bool)
    steady[by_popularity[: max(clients, round(STEADY_SHARE * skus))]] = True

    start = np.zeros(skus, dtype=np.int64)
    new = ~steady & (rng.random(skus) < NEW_SHARE)
    late = ~steady & ~new & (rng.random(skus) < LATE_START_SHARE)
    start[new] = rng.integers(complete - 6, complete, int(new.sum()))
    start[late] = rng.integers(1, complete - 6, int(late.sum()))
    stop = np.full(skus, months, dtype=np.int64)  # exclusive
    stopping = ~steady & ~new & (rng.random(skus) < STOP_SHARE)
    stop[stopping] = rng.integers(start[stopping] + 1, complete - 2)

    column = np.arange(months)
    alive = (column >= start[:, None]) & (column < stop[:, None])
    chance = np.where(steady, 1.0, rng.beta(*ACTIVE_BETA, skus))
    active = alive & (rng.random((skus, months)) < chance[:, None])
    active[np.arange(skus), start] = True  # a SKU's life begins with a sale

    shocks = rng.normal(0.0, LEVEL_NOISE, (skus, months))
    level = np.empty((skus, months))
    level[:, 0] = shocks[:, 0] / np.sqrt(1 - LEVEL_PERSISTENCE**2)
    for t in range(1, months):
        level[:, t] = LEVEL_PERSISTENCE * level[:, t - 1] + shocks[:, t]
    weight = popularity[:, None] ** POPULARITY_POWER * np.exp(level) * active

    owner = rng.choice(clients, skus, p=client_weights)
    anchors = by_popularity[:clients]
    owner[anchors] = np.arange(clients)
    owner[rng.choice(np.setdiff1d(np.arange(skus), anchors), min(SHARED_SKUS, skus - clients), replace=False)] = -1
    return DemandPlan(weight / weight.sum(axis=0), owner, anchors)
