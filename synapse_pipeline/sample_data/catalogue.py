"""The clients and SKUs both exports share, with their attributes and skewed popularities.

It depends only on the seed and the number of clients, never on the row counts, so files of any size agree.
"""

from dataclasses import dataclass

import numpy as np

CENTRES: tuple[str, ...] = ("1101", "2401", "32D1", "22D1")
CENTRE_WEIGHTS: tuple[float, ...] = (0.55, 0.24, 0.13, 0.08)
CITIES: tuple[tuple[str, str], ...] = (
    ("CURITIBA", "PR"), ("POMPEIA", "SP"), ("JOINVILLE", "SC"), ("SAO PAULO", "SP"), ("LONDRINA", "PR"),
    ("BLUMENAU", "SC"), ("CAMPINAS", "SP"), ("MARINGA", "PR"), ("SOROCABA", "SP"), ("ITAJAI", "SC"),
)  # fmt: skip

ZINCADO, FRIO, QUENTE = "Zincado", "Laminado a Frio", "Laminado a Quente"
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
MATERIA_PRIMA_STOCK_ONLY, MATERIA_PRIMA_SOLD = 0.85, 0.01  # chance that a SKU is raw material
MATERIA_PRIMA_LINES = 0.35  # of the stock lines; heavier lots make it about 60% of the stock's tonnes

# SKUs: in stock and sold, only in stock (never sold), only sold (no stock line); pre-painted: sold only.
SHARED_SKUS, STOCK_ONLY_SKUS, SOLD_ONLY_SKUS, PRE_PINTADO_SKUS = 185, 112, 187, 3
PRE_PINTADO_SHARE = 0.0005  # of the billing lines

MAX_CLIENT_CODE = 60_000


@dataclass(frozen=True)
class Catalogue:
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


def build_catalogue(rng: np.random.Generator, clients: int) -> Catalogue:
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
    # Raw material is stock that production consumes: almost only the SKUs that are never billed.
    stock_only = (np.arange(total) >= SHARED_SKUS) & (np.arange(total) < SHARED_SKUS + STOCK_ONLY_SKUS)
    sku_materia_prima = rng.random(total) < np.where(stock_only, MATERIA_PRIMA_STOCK_ONLY, MATERIA_PRIMA_SOLD)

    # Catalogue order: shared, stock only, sold only (regular), sold only (pre-painted).
    stock_skus = np.arange(SHARED_SKUS + STOCK_ONLY_SKUS)
    sold_skus = np.concatenate([np.arange(SHARED_SKUS), np.arange(SHARED_SKUS + STOCK_ONLY_SKUS, total)])
    stock_weights = rng.lognormal(0.0, 0.7, len(stock_skus))
    raw = sku_materia_prima[stock_skus]
    stock_weights[raw] *= (
        MATERIA_PRIMA_LINES * stock_weights[~raw].sum() / (1 - MATERIA_PRIMA_LINES) / stock_weights[raw].sum()
    )
    sold_weights = rng.lognormal(0.0, 1.0, len(sold_skus))
    regular_sold = len(sold_skus) - PRE_PINTADO_SKUS
    sold_weights[regular_sold:] = sold_weights[:regular_sold].sum() * PRE_PINTADO_SHARE / PRE_PINTADO_SKUS
    return Catalogue(
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
