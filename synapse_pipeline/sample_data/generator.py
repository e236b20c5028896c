"""Sample ERP exports shaped like the real ones (`../shared/spec/export-profile.md`).

The real exports are not part of the project, yet the pipeline, its tests and its demos need files that
look like them: same columns, same quirks (padded codes, double-encoded text, returns, duplicate lines),
the same sizes by default, and any size on demand. `generate` writes them deterministically for a seed and
streams the billing file in blocks, so ten million lines take little memory.

Sizes and proportions: the catalogue (clients, SKUs, cities) depends only on the seed and `clients`, never
on the row counts. Duplicate lines are proportional to the row count: 14 per 1,471 estoque lines and 50 per
17,343 faturamento lines (exactly 14 and 50 at the defaults). Billing lines spread over the same 20 months
(2024-01-10 .. 2025-08-01) in fixed proportions, whatever their number.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from synapse_pipeline.lib.files import written_atomically

ESTOQUE_COLUMNS: tuple[str, ...] = (
    "data", "cod_cliente", "es_centro", "tipo_material", "origem", "cod_produto", "lote",
    "dias_em_estoque", "produto", "grupo_mercadoria", "es_totalestoque", "SKU",
)  # fmt: skip
FATURAMENTO_COLUMNS: tuple[str, ...] = (
    "data", "cod_cliente", "lote", "origem", "zs_gr_mercad", "produto", "cod_produto", "zs_centro",
    "zs_cidade", "zs_uf", "zs_peso_liquido", "giro_sku_cliente", "SKU",
)  # fmt: skip
ESTOQUE_FILE = "estoque 1.csv"
FATURAMENTO_FILE = "faturamento 1.csv"

SNAPSHOT_DATE = date(2025, 8, 4)
FIRST_BILLING_DATE = date(2024, 1, 10)
LAST_BILLING_DATE = date(2025, 8, 1)
# Relative billing volume of each month from 2024-01 (from the 10th) to 2025-08 (the 1st only): about the
# real file's lines per month at the default size.
MONTH_WEIGHTS: tuple[int, ...] = (
    430, 760, 905, 870, 955, 820, 1010, 1085, 960, 1120, 990, 610,
    720, 880, 1040, 985, 1150, 1010, 1270, 7,
)  # fmt: skip
WEEKDAY_WEIGHTS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.12, 0.02)  # Monday .. Sunday

# Duplicate lines per data line (exactly 14 and 50 at the default sizes).
ESTOQUE_DUPLICATES = (14, 1_471)
FATURAMENTO_DUPLICATES = (50, 17_343)

CENTRES: tuple[str, ...] = ("1101", "2401", "32D1", "22D1")
CENTRE_WEIGHTS: tuple[float, ...] = (0.55, 0.24, 0.13, 0.08)
CITIES: tuple[tuple[str, str], ...] = (
    ("CURITIBA", "PR"), ("POMPEIA", "SP"), ("JOINVILLE", "SC"), ("SAO PAULO", "SP"), ("LONDRINA", "PR"),
    ("BLUMENAU", "SC"), ("CAMPINAS", "SP"), ("MARINGA", "PR"), ("SOROCABA", "SP"), ("ITAJAI", "SC"),
)  # fmt: skip
HOME_CITY_SHARE = 0.9  # a client's lines go to its own city, the rest anywhere

ZINCADO, FRIO, QUENTE = "Zincado", "Laminado a Frio", "Laminado a Quente"
PRE_PINTADO = "PRÉ-PINTADO GALVALUME"
# (cod_produto, produto, grupo_mercadoria, popularity): the 18 codes of the stock and the catalogue.
PRODUCT_CODES: tuple[tuple[str, str, str, float], ...] = (
    ("RZN", "Rolo", ZINCADO, 3.0), ("RFF", "Rolo", FRIO, 2.5), ("RFQ", "Rolo", QUENTE, 1.5),
    ("RFQD", "Rolo", QUENTE, 1.2), ("CZN", "Chapa", ZINCADO, 2.5), ("CFF", "Chapa", FRIO, 1.5),
    ("CFQ", "Chapa", QUENTE, 1.5), ("CG", "Chapa", QUENTE, 1.2), ("CGD", "Chapa", QUENTE, 1.0),
    ("BZN", "Bobina", ZINCADO, 2.0), ("BFF", "Bobina", FRIO, 1.8), ("BFQ", "Bobina", QUENTE, 1.5),
    ("BFQD", "Bobina", QUENTE, 1.0), ("BFFE", "Bobina", FRIO, 0.6), ("TZN", "Tira", ZINCADO, 1.2),
    ("TFF", "Tira", FRIO, 1.0), ("TFQ", "Tira", QUENTE, 0.8), ("TFQD", "Tira", QUENTE, 0.5),
)  # fmt: skip
# Pre-painted galvalume is only billed (a few lines), under codes of its own.
PRE_PINTADO_CODES: tuple[tuple[str, str], ...] = (("BPP", "Bobina"), ("CPP", "Chapa"))
MATERIA_PRIMA_SHARE = {"Bobina": 0.5, "Rolo": 0.08, "Chapa": 0.03, "Tira": 0.03}

# SKUs: in stock and sold, only in stock (never sold), only sold (no stock line); pre-painted: sold only.
SHARED_SKUS, STOCK_ONLY_SKUS, SOLD_ONLY_SKUS, PRE_PINTADO_SKUS = 185, 112, 187, 3
PRE_PINTADO_SHARE = 0.0005  # of the billing lines

ESTOQUE_ORIGENS: tuple[str, ...] = ("S_PRG_REF", "E_PRG_REF", "S_MFL_QP", "E_MFL_QP")
ESTOQUE_ORIGEM_WEIGHTS: tuple[float, ...] = (0.55, 0.40, 0.03, 0.02)
ORIGEM_WIDTH = 14  # padded values: 'E_PRG_REF     '
PADDED_ORIGEM_SHARE = 0.2
MFL_SHARE = 0.03  # faturamento origem MFL_QP_DP, else PRG

RETURN_SHARE, ZERO_SHARE = 0.010, 0.006
PESO_MIN_MILLI, PESO_MAX_MILLI = -1_800, 29_000
STOCK_MIN_MILLI, STOCK_MAX_MILLI = 67, 24_000
GIRO_MAX_CENTI = 50_000
LOWER_ROLO_SHARE = 0.015  # of the Rolo billing lines
OLD_STOCK_SHARE = 0.2  # stock lines older than 180 days

# Lots: 'AAA999/9' made from a permutation of the line number, so no two generated lines are equal by chance
# and the duplicate count is exact. Variants: a space before the slash, and '/S' instead of '/9'.
LOT_SPACE = 26**3 * 1_000 * 10
LOT_SPACE_SHARE, LOT_LETTER_SHARE = 0.03, 0.3  # the letter variant applies to lots ending in 9 only

BLOCK_ROWS = 100_000
MAX_CLIENT_CODE = 60_000


@dataclass(frozen=True)
class GeneratedFiles:
    """The two files written and their data lines (header excluded)."""

    estoque: Path
    faturamento: Path
    estoque_lines: int
    faturamento_lines: int


@dataclass(frozen=True)
class _Catalogue:
    """Everything shared by both files: clients, SKUs and their attributes."""

    clients: np.ndarray  # cod_cliente, int64
    client_weights: np.ndarray
    home_city: np.ndarray  # index into CITIES per client
    sku_numbers: np.ndarray  # n of SKU_<n>, per catalogue SKU
    sku_code: np.ndarray  # index into PRODUCT_CODES, or len(PRODUCT_CODES) + i for PRE_PINTADO_CODES[i]
    sku_materia_prima: np.ndarray  # bool
    stock_skus: np.ndarray  # catalogue indexes of SKUs in stock
    stock_weights: np.ndarray
    sold_skus: np.ndarray  # catalogue indexes of SKUs sold
    sold_weights: np.ndarray


def generate(
    out_dir: Path,
    *,
    clients: int = 11,
    faturamento_rows: int = 17_343,
    estoque_rows: int = 1_471,
    seed: int = 7,
) -> GeneratedFiles:
    """Write `estoque 1.csv` and `faturamento 1.csv` into `out_dir`; same arguments, same bytes."""
    out_dir = Path(out_dir)
    if clients < 1:
        raise ValueError(f"clients must be at least 1, got {clients}")
    if estoque_rows < clients:
        raise ValueError(f"estoque_rows ({estoque_rows}) must be at least clients ({clients})")
    if not max(clients, len(MONTH_WEIGHTS)) <= faturamento_rows < LOT_SPACE:
        raise ValueError(f"faturamento_rows must be in [{max(clients, len(MONTH_WEIGHTS))}, {LOT_SPACE})")
    catalogue_seq, estoque_seq, faturamento_seq = np.random.SeedSequence(seed).spawn(3)
    catalogue = _catalogue(np.random.default_rng(catalogue_seq), clients)
    out_dir.mkdir(parents=True, exist_ok=True)
    estoque = out_dir / ESTOQUE_FILE
    faturamento = out_dir / FATURAMENTO_FILE
    _write_atomically(
        estoque, ESTOQUE_COLUMNS, _estoque_blocks(np.random.default_rng(estoque_seq), catalogue, estoque_rows)
    )
    _write_atomically(
        faturamento,
        FATURAMENTO_COLUMNS,
        _faturamento_blocks(np.random.default_rng(faturamento_seq), catalogue, faturamento_rows),
    )
    return GeneratedFiles(estoque, faturamento, estoque_rows, faturamento_rows)


def _write_atomically(path: Path, columns: tuple[str, ...], blocks: Iterator[str]) -> None:
    """Write the header and the blocks to a temporary file beside `path`, then rename it to `path`."""
    with written_atomically(path) as temporary, temporary.open("w", encoding="utf-8", newline="") as file:
        file.write("|".join(columns) + "\n")
        for block in blocks:
            file.write(block)


def _catalogue(rng: np.random.Generator, clients: int) -> _Catalogue:
    """Clients (codes from the hundreds to the tens of thousands) and SKUs, with skewed popularities."""
    if clients > MAX_CLIENT_CODE // 2:
        raise ValueError(f"clients must be at most {MAX_CLIENT_CODE // 2}")
    codes: dict[int, None] = {}
    while len(codes) < clients:
        drawn = np.exp(rng.uniform(np.log(100), np.log(MAX_CLIENT_CODE), clients)).astype(np.int64)
        codes.update(dict.fromkeys(drawn.tolist()))
    client_codes = np.array(list(codes)[:clients], dtype=np.int64)
    client_weights = 1.0 / np.arange(1, clients + 1) ** 0.9
    client_weights = rng.permutation(client_weights)
    home_city = rng.permutation(len(CITIES))[np.arange(clients) % len(CITIES)]

    regular = SHARED_SKUS + STOCK_ONLY_SKUS + SOLD_ONLY_SKUS - PRE_PINTADO_SKUS
    total = regular + PRE_PINTADO_SKUS
    sku_numbers = rng.choice(np.arange(1, 1_501), total, replace=False)
    popularity = np.array([code[3] for code in PRODUCT_CODES])
    sku_code = rng.choice(len(PRODUCT_CODES), regular, p=popularity / popularity.sum())
    sku_code[: len(PRODUCT_CODES)] = np.arange(len(PRODUCT_CODES))  # every code is in stock
    pre_pintado = len(PRODUCT_CODES) + np.arange(PRE_PINTADO_SKUS) % len(PRE_PINTADO_CODES)
    sku_code = np.concatenate([sku_code, pre_pintado])
    forms = [code[1] for code in PRODUCT_CODES] + [code[1] for code in PRE_PINTADO_CODES]
    mp_share = np.array([MATERIA_PRIMA_SHARE[forms[code]] for code in sku_code])
    sku_materia_prima = rng.random(total) < mp_share

    # Catalogue order: shared, stock only, sold only (regular), sold only (pre-painted).
    stock_skus = np.arange(SHARED_SKUS + STOCK_ONLY_SKUS)
    sold_skus = np.concatenate([np.arange(SHARED_SKUS), np.arange(SHARED_SKUS + STOCK_ONLY_SKUS, total)])
    stock_weights = rng.lognormal(0.0, 0.7, len(stock_skus))
    sold_weights = rng.lognormal(0.0, 1.0, len(sold_skus))
    regular_sold = len(sold_skus) - PRE_PINTADO_SKUS
    sold_weights[regular_sold:] = sold_weights[:regular_sold].sum() * PRE_PINTADO_SHARE / PRE_PINTADO_SKUS
    return _Catalogue(
        clients=client_codes,
        client_weights=client_weights / client_weights.sum(),
        home_city=home_city,
        sku_numbers=sku_numbers,
        sku_code=sku_code,
        sku_materia_prima=sku_materia_prima,
        stock_skus=stock_skus,
        stock_weights=stock_weights / stock_weights.sum(),
        sold_skus=sold_skus,
        sold_weights=sold_weights / sold_weights.sum(),
    )


def _table(values: list[str]) -> np.ndarray:
    """An object array of strings, to turn index arrays into text pieces by fancy indexing."""
    table = np.empty(len(values), dtype=object)
    table[:] = values
    return table


def _milli(value: int) -> str:
    """Thousandths as a decimal with a point and 3 places: -1234 -> '-1.234'."""
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 1000}.{abs(value) % 1000:03d}"


def _duplicates(rows: int, ratio: tuple[int, int]) -> int:
    """Duplicate lines among `rows` lines, at the real file's ratio."""
    return round(rows * ratio[0] / ratio[1])


def _duplicate_positions(rng: np.random.Generator, unique: int, duplicates: int) -> np.ndarray:
    """Sorted, distinct line numbers (among the unique lines) that are written twice."""
    return np.sort(rng.choice(unique, duplicates, replace=False)) if duplicates else np.empty(0, np.int64)


def _repeats(positions: np.ndarray, start: int, stop: int) -> np.ndarray:
    """1 for each line of [start, stop), 2 for those in `positions`."""
    repeats = np.ones(stop - start, dtype=np.int64)
    inside = positions[(positions >= start) & (positions < stop)]
    repeats[inside - start] = 2
    return repeats


def _force(rng: np.random.Generator, values: np.ndarray, choices: np.ndarray) -> None:
    """Put each of `choices` at least once into `values` (as far as it is long), at random positions."""
    count = min(len(choices), len(values))
    values[rng.choice(len(values), count, replace=False)] = choices[:count]


def _truncated_lognormal(
    rng: np.random.Generator, size: int, median: float, sigma: float, low: float, high: float
) -> np.ndarray:
    """Log-normal values redrawn until they fall in [low, high]."""
    values = rng.lognormal(np.log(median), sigma, size)
    outside = (values < low) | (values > high)
    while outside.any():
        values[outside] = rng.lognormal(np.log(median), sigma, int(outside.sum()))
        outside = (values < low) | (values > high)
    return values


class _Lots:
    """Lot numbers 'AAA999/9' from a permutation of line numbers, as two text pieces (letters, rest + '|')."""

    def __init__(self, rng: np.random.Generator) -> None:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        self.letters = _table(["".join(t) for t in itertools.product(letters, repeat=3)])
        rest: list[str] = []
        flags = (False, True)
        for number, digit, space, letter in itertools.product(range(1_000), range(10), flags, flags):
            suffix = "S" if letter and digit == 9 else str(digit)
            rest.append(f"{number:03d}{' ' if space else ''}/{suffix}|")
        self.rest = _table(rest)
        while True:  # a multiplier coprime with LOT_SPACE = 2**7 * 5**4 * 13**3 makes a permutation
            self.multiplier = int(rng.integers(LOT_SPACE // 3, LOT_SPACE))
            if self.multiplier % 2 and self.multiplier % 5 and self.multiplier % 13:
                break
        self.offset = int(rng.integers(0, LOT_SPACE))

    def pieces(self, rng: np.random.Generator, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Letters and the rest of the lots of lines [start, stop)."""
        code = (np.arange(start, stop, dtype=np.int64) * self.multiplier + self.offset) % LOT_SPACE
        size = stop - start
        space = rng.random(size) < LOT_SPACE_SHARE
        letter = rng.random(size) < LOT_LETTER_SHARE
        rest = (code % 10_000) * 4 + space * 2 + letter
        return self.letters[code // 10_000], self.rest[rest]


def _join(pieces: list[np.ndarray], repeats: np.ndarray) -> str:
    """Lines from per-line text pieces (each already ending in '|' or the line end), duplicates repeated."""
    columns = [np.repeat(piece, repeats).tolist() for piece in pieces]
    return "".join(itertools.chain.from_iterable(zip(*columns, strict=True)))


def _pad_origem(values: list[str]) -> list[str]:
    """Each code, then the same code padded with trailing spaces to ORIGEM_WIDTH."""
    return values + [value.ljust(ORIGEM_WIDTH) for value in values]


def _estoque_blocks(rng: np.random.Generator, catalogue: _Catalogue, rows: int) -> Iterator[str]:
    """The estoque lines, in blocks of text."""
    duplicates = _duplicates(rows, ESTOQUE_DUPLICATES)
    unique = rows - duplicates
    if unique < len(catalogue.clients):
        raise ValueError("estoque_rows too small for the number of clients")
    positions = _duplicate_positions(rng, unique, duplicates)
    lots = _Lots(rng)
    day_client = _table([f"{SNAPSHOT_DATE.isoformat()}|{code}|" for code in catalogue.clients.tolist()])
    centres = _table([f"{centre}|" for centre in CENTRES])
    origens = _table([f"{origem}|" for origem in _pad_origem(list(ESTOQUE_ORIGENS))])
    days = _table([f"{day}|" for day in range(1_501)])
    totals = _table([f"{_milli(m)}|" for m in range(STOCK_MAX_MILLI + 1)])
    skus = catalogue.stock_skus
    codes = [PRODUCT_CODES[code] for code in catalogue.sku_code[skus]]
    materia_prima = catalogue.sku_materia_prima[skus].tolist()
    tipo = _table([f"{'Materia Prima' if mp else 'Produto Acabado'}|" for mp in materia_prima])
    cod_produto = _table([f"{code[0]}|" for code in codes])
    produto_grupo = _table([f"{code[1]}|{code[2]}|" for code in codes])
    sku_end = _table([f"SKU_{n}\n" for n in catalogue.sku_numbers[skus].tolist()])
    origem_p = np.array(ESTOQUE_ORIGEM_WEIGHTS)
    for start in range(0, unique, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, unique)
        size = stop - start
        client = rng.choice(len(catalogue.clients), size, p=catalogue.client_weights)
        sku = rng.choice(len(skus), size, p=catalogue.stock_weights)
        if start == 0:
            _force(rng, client, rng.permutation(len(catalogue.clients)))
            _force(rng, sku, rng.permutation(len(skus)))
        centre = rng.choice(len(CENTRES), size, p=np.array(CENTRE_WEIGHTS))
        origem = rng.choice(len(ESTOQUE_ORIGENS), size, p=origem_p / origem_p.sum())
        origem += len(ESTOQUE_ORIGENS) * (rng.random(size) < PADDED_ORIGEM_SHARE)
        old = rng.random(size) < OLD_STOCK_SHARE
        young_days = 2 + (rng.exponential(45.0, size) % 179).astype(np.int64)  # 2 .. 180
        old_days = np.exp(rng.uniform(np.log(181), np.log(1_500), size)).astype(np.int64)
        age = np.where(old, old_days, young_days)
        total = np.rint(
            _truncated_lognormal(rng, size, 2.5, 1.0, STOCK_MIN_MILLI / 1000, STOCK_MAX_MILLI / 1000) * 1000
        ).astype(np.int64)
        lot_letters, lot_rest = lots.pieces(rng, start, stop)
        pieces = [
            day_client[client], centres[centre], tipo[sku], origens[origem], cod_produto[sku], lot_letters,
            lot_rest, days[age], produto_grupo[sku], totals[total], sku_end[sku],
        ]  # fmt: skip
        yield _join(pieces, _repeats(positions, start, stop))


def _billing_days(rng: np.random.Generator, rows: int) -> tuple[list[date], np.ndarray]:
    """Every day of the billing period and its number of lines, the months in MONTH_WEIGHTS' proportions."""
    weights = np.array(MONTH_WEIGHTS, dtype=np.float64)
    # One line for each month, the rest by largest remainder, so small files still cover every month.
    share = (rows - len(weights)) * weights / weights.sum()
    per_month = np.floor(share).astype(np.int64)
    remainder_order = np.argsort(-(share - per_month), kind="stable")
    per_month[remainder_order[: rows - len(weights) - int(per_month.sum())]] += 1
    per_month += 1
    days: list[date] = []
    counts: list[np.ndarray] = []
    month_start = FIRST_BILLING_DATE
    for lines in per_month.tolist():
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
        month_start = next_month
    return days, np.concatenate(counts)


def _faturamento_blocks(rng: np.random.Generator, catalogue: _Catalogue, rows: int) -> Iterator[str]:
    """The faturamento lines in date order, in blocks of text."""
    duplicates = _duplicates(rows, FATURAMENTO_DUPLICATES)
    unique = rows - duplicates
    days, day_counts = _billing_days(rng, unique)
    day_ends = np.cumsum(day_counts)
    positions = _duplicate_positions(rng, unique, duplicates)
    lots = _Lots(rng)
    n_clients = len(catalogue.clients)
    skus = catalogue.sold_skus
    n_skus = len(skus)

    dates = _table([f"{day.isoformat()}|" for day in days])
    client_codes = _table([f"{code}|" for code in catalogue.clients.tolist()])
    origens = _table(["PRG|", "MFL_QP_DP|"])
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
    sku_segment = _table(upper_forms + [f"{g}|{f.lower()}|{c}|" for g, f, c in segments])
    is_rolo = np.array([form == "Rolo" for _, form, _ in segments])
    centre_city = _table([f"{centre}|{city}|{uf}|" for centre in CENTRES for city, uf in CITIES])
    peso = _table([f"{_milli(m)}|" for m in range(PESO_MIN_MILLI, PESO_MAX_MILLI + 1)] + ["0|"])
    zero_short = len(peso) - 1
    giro = np.rint(_truncated_lognormal(rng, n_skus * n_clients, 40.0, 1.3, 0.0, GIRO_MAX_CENTI / 100) * 100)
    giro[rng.random(giro.size) < 0.02] = 0
    sku_names = [f"SKU_{n}" for n in catalogue.sku_numbers[skus].tolist()]
    giro_text = [f"{int(g) // 100}.{int(g) % 100:02d}" for g in giro.tolist()]
    # index: sku * n_clients + client
    giro_sku = _table([f"{text}|{sku_names[i // n_clients]}\n" for i, text in enumerate(giro_text)])

    for start in range(0, unique, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, unique)
        size = stop - start
        day = np.searchsorted(day_ends, np.arange(start, stop), side="right")
        client = rng.choice(n_clients, size, p=catalogue.client_weights)
        sku = rng.choice(n_skus, size, p=catalogue.sold_weights)
        city = np.where(
            rng.random(size) < HOME_CITY_SHARE,
            catalogue.home_city[client],
            rng.integers(0, len(CITIES), size),
        )
        if start == 0:
            _force(rng, client, rng.permutation(n_clients))
            _force(rng, sku, rng.permutation(n_skus))
            _force(rng, city, rng.permutation(len(CITIES)))
        origem = (rng.random(size) < MFL_SHARE).astype(np.int64)
        lower = is_rolo[sku] & (rng.random(size) < LOWER_ROLO_SHARE)
        centre = rng.choice(len(CENTRES), size, p=np.array(CENTRE_WEIGHTS))
        kind = rng.random(size)
        positive = _truncated_lognormal(rng, size, 4.0, 0.9, 0.001, PESO_MAX_MILLI / 1000)
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
        yield _join(pieces, _repeats(positions, start, stop))
