"""Cleaning on a chunk's distinct values: each rule counts the lines it changed (a value repeated on three lines is
three), a value cleaned down to nothing is empty, the lines keep their index; and the line hashes the
duplicate count comes from tell apart any two lines that differ in one field, an empty one included. All of it
alike for a column cleaned line by line (`lote`, UNIQUE_PER_LINE) as for one cleaned on its dictionary."""

from collections import Counter

import pandas as pd
import pyarrow as arrow
import pytest

from synapse_pipeline.ingest.cleaning import (
    ENCODING_REPAIRED,
    PRODUCT_SPELLING,
    TRIMMED,
    Cleaner,
    distinct,
    line_hashes,
)

# The first and last columns are cleaned alike (encoding and spaces); `lote` in either place is cleaned line by line.
COLUMNS = ["cod_produto", "produto", "SKU"]
ORDERS = pytest.mark.parametrize(
    "columns",
    [COLUMNS, ["lote", "produto", "SKU"], ["cod_produto", "produto", "lote"]],
    ids=["dictionary", "lote", "lote last"],
)


def _chunk(rows: list[tuple[str | None, ...]], columns: list[str]) -> arrow.Table:
    return arrow.table({c: arrow.array([r[i] for r in rows], arrow.large_string()) for i, c in enumerate(columns)})


def _values(column: pd.Series) -> list[str | None]:
    return [None if pd.isna(value) else value for value in column]


@ORDERS
def test_each_rule_counts_the_lines_it_changed_and_a_value_cleaned_to_nothing_is_empty(columns: list[str]) -> None:
    raw = _chunk(
        [
            ("E_PRG_REF   ", "rolo", "A1"),
            ("E_PRG_REF   ", "rolo", "A1"),
            ("E_PRG_REF   ", "Chapa", "A2"),
            ("   ", "PRÃ\x89-PINTADO", None),
            (None, "Rolo", "A1  "),
        ],
        columns,
    )
    counts: Counter[str] = Counter()
    cleaned = Cleaner().clean(raw, distinct(raw, columns), counts, pd.RangeIndex(10, 15))

    assert counts == {TRIMMED: 5, PRODUCT_SPELLING: 3, ENCODING_REPAIRED: 1}
    assert list(cleaned.index) == [10, 11, 12, 13, 14]
    first, _, last = columns
    assert _values(cleaned[first]) == ["E_PRG_REF"] * 3 + [None, None]
    assert _values(cleaned["produto"]) == ["Rolo", "Rolo", "Chapa", "Pré-pintado", "Rolo"]
    assert _values(cleaned[last]) == ["A1", "A1", "A2", None, "A1"]


@ORDERS
def test_equal_lines_hash_alike_and_lines_differing_in_one_field_do_not(columns: list[str]) -> None:
    raw = _chunk(
        [
            ("P1", "Rolo", "A1"),
            ("P1", "Rolo", "A1"),
            ("P1", "Rolo", None),
            ("P1", "Rolo", ""),
            ("Rolo", "P1", "A1"),
            ("P1", "Rolo", "A2"),
        ],
        columns,
    )
    hashes = line_hashes(distinct(raw, columns)).tolist()

    assert hashes[0] == hashes[1]
    assert len(set(hashes[1:])) == 5


def test_a_line_hashes_alike_whether_its_column_is_cleaned_on_a_dictionary_or_line_by_line() -> None:
    """Duplicates are counted over the whole file from every chunk's hashes: the two ways must agree."""
    rows = [("P1", "Rolo", "A1"), (None, "Rolo", "A1"), ("", "Rolo", "x")]
    by_dictionary = line_hashes(distinct(_chunk(rows, ["cod_produto", "produto", "SKU"]), COLUMNS))
    by_line = line_hashes(distinct(_chunk(rows, ["lote", "produto", "SKU"]), ["lote", "produto", "SKU"]))
    assert by_dictionary.tolist() == by_line.tolist()


@ORDERS
def test_a_column_empty_on_every_line_hashes_and_cleans(columns: list[str]) -> None:
    raw = _chunk([("P1", "Rolo", None), ("P1", "Rolo", None), ("P2", "Rolo", None)], columns)
    encoded = distinct(raw, columns)

    hashes = line_hashes(encoded).tolist()
    cleaned = Cleaner().clean(raw, encoded, Counter(), pd.RangeIndex(3))

    assert hashes[0] == hashes[1] != hashes[2]
    assert _values(cleaned[columns[-1]]) == [None, None, None]
