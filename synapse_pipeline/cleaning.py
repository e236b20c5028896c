"""Cleaning applied on the way in, counted per rule so the UI shows what changed.

Each rule works on a column's distinct values, not on every row: the exports repeat a few hundred values
over millions of lines, and ftfy is far too slow to run per row.
"""

from collections import Counter
from collections.abc import Callable

import ftfy
import numpy as np
import pandas as pd

ENCODING_REPAIRED = "encoding_repaired"
TRIMMED = "trimmed"
PRODUCT_SPELLING = "product_spelling"
CLEANING_RULES: dict[str, str] = {
    ENCODING_REPAIRED: "double-encoded UTF-8 repaired with ftfy (PRÃ\\x89-PINTADO -> PRÉ-PINTADO)",
    TRIMMED: "leading or trailing spaces removed (padded codes such as 'E_PRG_REF     ')",
    PRODUCT_SPELLING: "one spelling per product form ('rolo' -> 'Rolo')",
}
PRODUCT_COLUMNS = frozenset({"produto"})


def _repair(value: str) -> str:
    return value if value.isascii() else ftfy.fix_encoding(value)


def _trim(value: str) -> str:
    return value.strip()


def _product_spelling(value: str) -> str:
    return value[:1].upper() + value[1:].lower()


class Cleaner:
    """Applies the cleaning rules to raw string chunks and counts the values each rule changed."""

    def clean(self, raw: pd.DataFrame, counts: Counter[str]) -> pd.DataFrame:
        cleaned = {}
        for column in raw.columns:
            rules: list[tuple[str, Callable[[str], str]]] = [(ENCODING_REPAIRED, _repair), (TRIMMED, _trim)]
            if column in PRODUCT_COLUMNS:
                rules.append((PRODUCT_SPELLING, _product_spelling))
            cleaned[column] = _clean_column(raw[column], rules, counts)
        return pd.DataFrame(cleaned, index=raw.index)


def _clean_column(column: pd.Series, rules: list[tuple[str, Callable[[str], str]]], counts: Counter[str]) -> pd.Series:
    codes, uniques = pd.factorize(column)
    if len(uniques) == 0:
        return column
    rows_per_value = np.bincount(codes[codes >= 0], minlength=len(uniques))
    values = list(uniques)
    for rule, fix in rules:
        fixed = [fix(v) for v in values]
        changed = np.fromiter((a != b for a, b in zip(values, fixed, strict=True)), bool, len(values))
        if changed.any():
            counts[rule] += int(rows_per_value[changed].sum())
        values = fixed
    result = pd.array(values, dtype="str").take(codes, allow_fill=True)
    result = pd.Series(result, index=column.index, name=column.name)
    return result.mask(result == "")
