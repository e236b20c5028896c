"""Cleaning on a chunk's distinct values: each rule counts the lines it changed (a value repeated on three lines is
three), a value cleaned down to nothing is empty, the lines keep their index; and the line hashes the
duplicate count comes from tell apart any two lines that differ in one field, an empty one included."""

from collections import Counter

import pandas as pd
import pyarrow as arrow

from synapse_pipeline.ingest.cleaning import (
    ENCODING_REPAIRED,
    PRODUCT_SPELLING,
    TRIMMED,
    Cleaner,
    distinct,
    line_hashes,
)

COLUMNS = ["cod_produto", "produto", "SKU"]


def _chunk(rows: list[tuple[str | None, ...]]) -> arrow.Table:
    return arrow.table({c: arrow.array([r[i] for r in rows], arrow.large_string()) for i, c in enumerate(COLUMNS)})


def _values(column: pd.Series) -> list[str | None]:
    return [None if pd.isna(value) else value for value in column]


def test_each_rule_counts_the_lines_it_changed_and_a_value_cleaned_to_nothing_is_empty() -> None:
    raw = _chunk(
        [
            ("E_PRG_REF   ", "rolo", "A1"),
            ("E_PRG_REF   ", "rolo", "A1"),
            ("E_PRG_REF   ", "Chapa", "A2"),
            ("   ", "PRÃ\x89-PINTADO", None),
            (None, "Rolo", "A1"),
        ]
    )
    counts: Counter[str] = Counter()
    cleaned = Cleaner().clean(raw, distinct(raw, COLUMNS), counts, pd.RangeIndex(10, 15))

    assert counts == {TRIMMED: 4, PRODUCT_SPELLING: 3, ENCODING_REPAIRED: 1}
    assert list(cleaned.index) == [10, 11, 12, 13, 14]
    assert _values(cleaned["cod_produto"]) == ["E_PRG_REF"] * 3 + [None, None]
    assert _values(cleaned["produto"]) == ["Rolo", "Rolo", "Chapa", "Pré-pintado", "Rolo"]
    assert _values(cleaned["SKU"]) == ["A1", "A1", "A2", None, "A1"]


def test_equal_lines_hash_alike_and_lines_differing_in_one_field_do_not() -> None:
    raw = _chunk(
        [
            ("P1", "Rolo", "A1"),
            ("P1", "Rolo", "A1"),
            ("P1", "Rolo", None),
            ("P1", "Rolo", ""),
            ("Rolo", "P1", "A1"),
            ("P1", "Rolo", "A2"),
        ]
    )
    hashes = line_hashes(distinct(raw, COLUMNS)).tolist()

    assert hashes[0] == hashes[1]
    assert len(set(hashes[1:])) == 5


def test_a_column_empty_on_every_line_hashes_and_cleans() -> None:
    raw = _chunk([("P1", "Rolo", None), ("P1", "Rolo", None), ("P2", "Rolo", None)])
    columns = distinct(raw, COLUMNS)

    hashes = line_hashes(columns).tolist()
    cleaned = Cleaner().clean(raw, columns, Counter(), pd.RangeIndex(3))

    assert hashes[0] == hashes[1] != hashes[2]
    assert _values(cleaned["SKU"]) == [None, None, None]
