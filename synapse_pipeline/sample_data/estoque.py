"""The estoque (stock snapshot) lines: one day, every client and stock SKU, padded origens, aged lots.

Duplicate lines are proportional to the row count: 14 per 1,471 lines (exactly 14 at the default size).
"""

from collections.abc import Iterator
from datetime import date

import numpy as np

from synapse_pipeline.sample_data.catalogue import CENTRE_WEIGHTS, CENTRES, PRODUCT_CODES, Catalogue
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

ESTOQUE_COLUMNS: tuple[str, ...] = (
    "data", "cod_cliente", "es_centro", "tipo_material", "origem", "cod_produto", "lote",
    "dias_em_estoque", "produto", "grupo_mercadoria", "es_totalestoque", "SKU",
)  # fmt: skip
SNAPSHOT_DATE = date(2025, 8, 4)
ESTOQUE_DUPLICATES = (14, 1_471)  # duplicate lines per data line

ESTOQUE_ORIGENS: tuple[str, ...] = ("S_PRG_REF", "E_PRG_REF", "S_MFL_QP", "E_MFL_QP")
ESTOQUE_ORIGEM_WEIGHTS: tuple[float, ...] = (0.55, 0.40, 0.03, 0.02)
ORIGEM_WIDTH = 14  # padded values: 'E_PRG_REF     '
PADDED_ORIGEM_SHARE = 0.2

STOCK_MIN_MILLI, STOCK_MAX_MILLI = 67, 24_000
FINISHED_MEDIAN_T, MATERIA_PRIMA_MEDIAN_T = 2.5, 9.0  # median tonnes of a lot: raw material comes in coils
OLD_STOCK_SHARE = 0.2  # stock lines older than 180 days


def _pad_origem(values: list[str]) -> list[str]:
    """Each code, then the same code padded with trailing spaces to ORIGEM_WIDTH."""
    return values + [value.ljust(ORIGEM_WIDTH) for value in values]


def estoque_blocks(rng: np.random.Generator, catalogue: Catalogue, rows: int) -> Iterator[str]:
    """The estoque lines, in blocks of text."""
    duplicates = duplicate_count(rows, ESTOQUE_DUPLICATES)
    unique = rows - duplicates
    if unique < len(catalogue.clients):
        raise ValueError("estoque_rows too small for the number of clients")
    positions = duplicate_positions(rng, unique, duplicates)
    lots = Lots(rng)
    day_client = text_table([f"{SNAPSHOT_DATE.isoformat()}|{code}|" for code in catalogue.clients.tolist()])
    centres = text_table([f"{centre}|" for centre in CENTRES])
    origens = text_table([f"{origem}|" for origem in _pad_origem(list(ESTOQUE_ORIGENS))])
    days = text_table([f"{day}|" for day in range(1_501)])
    totals = text_table([f"{milli_text(m)}|" for m in range(STOCK_MAX_MILLI + 1)])
    skus = catalogue.stock_skus
    codes = [PRODUCT_CODES[code] for code in catalogue.sku_code[skus]]
    materia_prima = catalogue.sku_materia_prima[skus].tolist()
    is_raw = np.array(materia_prima)
    tipo = text_table([f"{'Materia Prima' if mp else 'Produto Acabado'}|" for mp in materia_prima])
    cod_produto = text_table([f"{code[0]}|" for code in codes])
    produto_grupo = text_table([f"{code[1]}|{code[2]}|" for code in codes])
    sku_end = text_table([f"SKU_{n}\n" for n in catalogue.sku_numbers[skus].tolist()])
    origem_p = np.array(ESTOQUE_ORIGEM_WEIGHTS)
    for start in range(0, unique, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, unique)
        size = stop - start
        client = rng.choice(len(catalogue.clients), size, p=catalogue.client_weights)
        sku = rng.choice(len(skus), size, p=catalogue.stock_weights)
        if start == 0:
            force(rng, client, rng.permutation(len(catalogue.clients)))
            force(rng, sku, rng.permutation(len(skus)))
        centre = rng.choice(len(CENTRES), size, p=np.array(CENTRE_WEIGHTS))
        origem = rng.choice(len(ESTOQUE_ORIGENS), size, p=origem_p / origem_p.sum())
        origem += len(ESTOQUE_ORIGENS) * (rng.random(size) < PADDED_ORIGEM_SHARE)
        old = rng.random(size) < OLD_STOCK_SHARE
        young_days = 2 + (rng.exponential(45.0, size) % 179).astype(np.int64)  # 2 .. 180
        old_days = np.exp(rng.uniform(np.log(181), np.log(1_500), size)).astype(np.int64)
        age = np.where(old, old_days, young_days)
        low, high = STOCK_MIN_MILLI / 1000, STOCK_MAX_MILLI / 1000
        finished = truncated_lognormal(rng, size, FINISHED_MEDIAN_T, 1.0, low, high)
        raw = truncated_lognormal(rng, size, MATERIA_PRIMA_MEDIAN_T, 0.6, low, high)
        total = np.rint(np.where(is_raw[sku], raw, finished) * 1000).astype(np.int64)
        lot_letters, lot_rest = lots.pieces(rng, start, stop)
        pieces = [
            day_client[client], centres[centre], tipo[sku], origens[origem], cod_produto[sku], lot_letters,
            lot_rest, days[age], produto_grupo[sku], totals[total], sku_end[sku],
        ]  # fmt: skip
        yield join_lines(pieces, line_repeats(positions, start, stop))
