"""The faturamento (billing) lines in date order: monthly and weekday demand, returns, zeros, ERP quirks.

Lines spread over the same 20 months (2024-01-10 .. 2025-08-01) in fixed proportions, whatever their number;
duplicate lines are 50 per 17,343 lines (exactly 50 at the default size).
"""

from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np

from synapse_pipeline.sample_data.catalogue import (
    CENTRE_WEIGHTS,
    CENTRES,
    CITIES,
    PRE_PINTADO_CODES,
    PRODUCT_CODES,
    Catalogue,
)
from synapse_pipeline.sample_data.demand import DemandPlan
from synapse_pipeline.sample_data.lines import (
    BLOCK_ROWS,
    duplicate_count,
    duplicate_positions,
    force,
    join_lines,
    line_repeats,
    milli_text,
    text_table,
    truncated_lognormal,
)
from synapse_pipeline.sample_data.lots import Lots

FATURAMENTO_COLUMNS: tuple[str, ...] = (
    "data", "cod_cliente", "lote", "origem", "zs_gr_mercad", "produto", "cod_produto", "zs_centro",
    "zs_cidade", "zs_uf", "zs_peso_liquido", "giro_sku_cliente", "SKU",
)  # fmt: skip
FATURAMENTO_DUPLICATES = (50, 17_343)  # duplicate lines per data line

FIRST_BILLING_DATE = date(2024, 1, 10)
LAST_BILLING_DATE = date(2025, 8, 1)
# Relative billing volume of each month from 2024-01 (from the 10th) to 2025-08 (the 1st only): about the
# real file's lines per month at the default size.
MONTH_WEIGHTS: tuple[int, ...] = (
    430, 760, 905, 870, 955, 820, 1010, 1085, 960, 1120, 990, 610,
    720, 880, 1040, 985, 1150, 1010, 1270, 7,
)  # fmt: skip
WEEKDAY_WEIGHTS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.12, 0.02)  # Monday .. Sunday

HOME_CITY_SHARE = 0.9  # a client's lines go to its own city, the rest anywhere
PRE_PINTADO = "PRÉ-PINTADO GALVALUME"
MFL_SHARE = 0.03  # origem MFL_QP_DP, else PRG
RETURN_SHARE, ZERO_SHARE = 0.010, 0.006
PESO_MIN_MILLI, PESO_MAX_MILLI = -1_800, 29_000
PESO_MEDIAN_T, PESO_SIGMA = 0.75, 1.0  # a shipped line: about 1.2 t on average, 650 to 1,700 t a month
GIRO_MAX_CENTI = 50_000
LOWER_ROLO_SHARE = 0.015  # of the Rolo billing lines


def _billing_days(rng: np.random.Generator, rows: int) -> tuple[list[date], np.ndarray, np.ndarray]:
    """Every day of the billing period, its number of lines and its month (0 for the first), the months in
    MONTH_WEIGHTS' proportions."""
    weights = np.array(MONTH_WEIGHTS, dtype=np.float64)
    # One line for each month, the rest by largest remainder, so small files still cover every month.
    share = (rows - len(weights)) * weights / weights.sum()
    per_month = np.floor(share).astype(np.int64)
    remainder_order = np.argsort(-(share - per_month), kind="stable")
    per_month[remainder_order[: rows - len(weights) - int(per_month.sum())]] += 1
    per_month += 1
    days: list[date] = []
    counts: list[np.ndarray] = []
    month_of_day: list[int] = []
    month_start = FIRST_BILLING_DATE
    for month, lines in enumerate(per_month.tolist()):
        next_month = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
        month_end = min(next_month, LAST_BILLING_DATE + timedelta(days=1))
        month_days = [month_start + timedelta(days=i) for i in range((month_end - month_start).days)]
        p = np.array([WEEKDAY_WEIGHTS[d.weekday()] for d in month_days])
        month_counts = rng.multinomial(lines, p / p.sum())
        if month_start == FIRST_BILLING_DATE and month_counts[0] == 0:  # the first day is always billed
            month_counts[np.argmax(month_counts)] -= 1
            month_counts[0] += 1
        days.extend(month_days)
        counts.append(month_counts)
        month_of_day.extend([month] * len(month_days))
        month_start = next_month
    return days, np.concatenate(counts), np.array(month_of_day)


def _skus_of_month(rng: np.random.Generator, plan: DemandPlan, months: np.ndarray) -> np.ndarray:
    """A SKU for each line, drawn from its month's demand (the lines are in date order, so months are runs)."""
    skus = np.empty(len(months), dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    for begin, end in zip(starts, np.r_[starts[1:], len(months)], strict=True):
        cumulative = np.cumsum(plan.month_probabilities[:, months[begin]])
        skus[begin:end] = np.minimum(
            np.searchsorted(cumulative, rng.random(end - begin) * cumulative[-1], side="right"), len(cumulative) - 1
        )
    return skus


def faturamento_blocks(rng: np.random.Generator, catalogue: Catalogue, plan: DemandPlan, rows: int) -> Iterator[str]:
    """The faturamento lines in date order, in blocks of text; each line's SKU follows its month's demand."""
    duplicates = duplicate_count(rows, FATURAMENTO_DUPLICATES)
    unique = rows - duplicates
    days, day_counts, month_of_day = _billing_days(rng, unique)
    day_ends = np.cumsum(day_counts)
    positions = duplicate_positions(rng, unique, duplicates)
    lots = Lots(rng)
    n_clients = len(catalogue.clients)
    skus = catalogue.sold_skus
    n_skus = len(skus)

    dates = text_table([f"{day.isoformat()}|" for day in days])
    client_codes = text_table([f"{code}|" for code in catalogue.clients.tolist()])
    origens = text_table(["PRG|", "MFL_QP_DP|"])
    # zs_gr_mercad|produto|cod_produto| per SKU, then the same with the form in lower case
    segments: list[tuple[str, str, str]] = []
    for code in catalogue.sku_code[skus].tolist():
        if code < len(PRODUCT_CODES):
            cod, form, group, _ = PRODUCT_CODES[code]
            group = group.upper()
        else:
            cod, form = PRE_PINTADO_CODES[code - len(PRODUCT_CODES)]
            group = PRE_PINTADO.encode("utf-8").decode("latin-1")  # double-encoded, as the ERP sends it
        segments.append((group, form, cod))
    upper_forms = [f"{g}|{f}|{c}|" for g, f, c in segments]
    sku_segment = text_table(upper_forms + [f"{g}|{f.lower()}|{c}|" for g, f, c in segments])
    is_rolo = np.array([form == "Rolo" for _, form, _ in segments])
    centre_city = text_table([f"{centre}|{city}|{uf}|" for centre in CENTRES for city, uf in CITIES])
    peso = text_table([f"{milli_text(m)}|" for m in range(PESO_MIN_MILLI, PESO_MAX_MILLI + 1)] + ["0|"])
    zero_short = len(peso) - 1
    giro = np.rint(truncated_lognormal(rng, n_skus * n_clients, 40.0, 1.3, 0.0, GIRO_MAX_CENTI / 100) * 100)
    giro[rng.random(giro.size) < 0.02] = 0
    sku_names = [f"SKU_{n}" for n in catalogue.sku_numbers[skus].tolist()]
    giro_text = [f"{int(g) // 100}.{int(g) % 100:02d}" for g in giro.tolist()]
    # index: sku * n_clients + client
    giro_sku = text_table([f"{text}|{sku_names[i // n_clients]}\n" for i, text in enumerate(giro_text)])

    for start in range(0, unique, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, unique)
        size = stop - start
        day = np.searchsorted(day_ends, np.arange(start, stop), side="right")
        sku = _skus_of_month(rng, plan, month_of_day[day])
        if start == 0:  # every client is billed: its steady anchor SKU at least once
            force(rng, sku, rng.permutation(plan.anchors))
        client = np.where(
            plan.owner[sku] >= 0, plan.owner[sku], rng.choice(n_clients, size, p=catalogue.client_weights)
        )
        city = np.where(
            rng.random(size) < HOME_CITY_SHARE,
            catalogue.home_city[client],
            rng.integers(0, len(CITIES), size),
        )
        if start == 0:
            force(rng, city, rng.permutation(len(CITIES)))
        origem = (rng.random(size) < MFL_SHARE).astype(np.int64)
        lower = is_rolo[sku] & (rng.random(size) < LOWER_ROLO_SHARE)
        centre = rng.choice(len(CENTRES), size, p=np.array(CENTRE_WEIGHTS))
        kind = rng.random(size)
        positive = truncated_lognormal(rng, size, PESO_MEDIAN_T, PESO_SIGMA, 0.001, PESO_MAX_MILLI / 1000)
        returned = rng.uniform(0.02, -PESO_MIN_MILLI / 1000, size)
        milli = np.rint(np.where(kind < RETURN_SHARE, -returned, positive) * 1000).astype(np.int64)
        zero = (kind >= RETURN_SHARE) & (kind < RETURN_SHARE + ZERO_SHARE)
        milli[zero] = 0
        peso_index = milli - PESO_MIN_MILLI
        peso_index[zero & (rng.random(size) < 0.5)] = zero_short
        lot_letters, lot_rest = lots.pieces(rng, start, stop)
        pieces = [
            dates[day], client_codes[client], lot_letters, lot_rest, origens[origem],
            sku_segment[sku + n_skus * lower], centre_city[centre * len(CITIES) + city], peso[peso_index],
            giro_sku[sku * n_clients + client],
        ]  # fmt: skip
        yield join_lines(pieces, line_repeats(positions, start, stop))
