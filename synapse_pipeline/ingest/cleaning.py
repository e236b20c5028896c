"""Cleaning applied on the way in, counted per rule so the UI shows what changed.

Rules are vectorised string operations; ftfy, far too slow to run per row, sees each distinct non-ASCII
value once.
"""

from collections import Counter
from collections.abc import Callable, Mapping

import dagster as dg
import ftfy
import pandas as pd

from synapse_pipeline.lib import markdown

ENCODING_REPAIRED = "encoding_repaired"
TRIMMED = "trimmed"
PRODUCT_SPELLING = "product_spelling"
CLEANING_RULES: dict[str, str] = {
    ENCODING_REPAIRED: "double-encoded UTF-8 repaired with ftfy (PRÃ\\x89-PINTADO -> PRÉ-PINTADO)",
    TRIMMED: "leading or trailing spaces removed (padded codes such as 'E_PRG_REF     ')",
    PRODUCT_SPELLING: "one spelling per product form ('rolo' -> 'Rolo')",
}
PRODUCT_COLUMNS = frozenset({"produto"})

Rule = Callable[[pd.Series], pd.Series]


def _repair(values: pd.Series) -> pd.Series:
    """ftfy on the distinct non-ASCII values only: plain ASCII cannot be double-encoded."""
    suspect = values.notna() & ~values.str.isascii().fillna(True).astype(bool)
    if not suspect.any():
        return values
    repaired = {v: ftfy.fix_encoding(v) for v in values[suspect].unique()}
    result = values.copy()
    result[suspect] = values[suspect].map(repaired)
    return result


def _trim(values: pd.Series) -> pd.Series:
    return values.str.strip()


def _product_spelling(values: pd.Series) -> pd.Series:
    return values.str.capitalize()


class Cleaner:
    """Applies the cleaning rules to raw string chunks and counts the values each rule changed."""

    def clean(self, raw: pd.DataFrame, counts: Counter[str]) -> pd.DataFrame:
        cleaned = {}
        for column in raw.columns:
            rules: list[tuple[str, Rule]] = [(ENCODING_REPAIRED, _repair), (TRIMMED, _trim)]
            if column in PRODUCT_COLUMNS:
                rules.append((PRODUCT_SPELLING, _product_spelling))
            cleaned[column] = _clean_column(raw[column], rules, counts)
        return pd.DataFrame(cleaned, index=raw.index)


def _clean_column(values: pd.Series, rules: list[tuple[str, Rule]], counts: Counter[str]) -> pd.Series:
    present = values.notna()
    for rule, fix in rules:
        fixed = fix(values)
        if fixed is values:  # the rule had nothing to do (plain ASCII needs no repair): nothing to compare
            continue
        changed = int(((fixed != values) & present).sum())
        if changed:
            counts[rule] += changed
        values = fixed
    return values.mask(values == "")


def cleaning_table(counts: Mapping[str, int]) -> dg.TableMetadataValue:
    """What cleaning changed, as the UI's table: each rule and how many values it changed (what the rules do is in
    the raw assets' description, `described_with_rules`: the metadata panel is too narrow for it)."""
    return dg.MetadataValue.table(
        records=[dg.TableRecord({"rule": rule, "values_changed": int(counts.get(rule, 0))}) for rule in CLEANING_RULES],
        schema=dg.TableSchema(columns=[dg.TableColumn("rule", "string"), dg.TableColumn("values_changed", "int")]),
    )


def described_with_rules(description: str) -> str:
    """An asset's description followed by the cleaning rules its `cleaning` table counts, as a markdown list."""
    rules = "\n".join(f"- `{rule}`: {markdown.escape(what)}" for rule, what in CLEANING_RULES.items())
    return f"{description}\n\nCleaning rules (counted in `cleaning`):\n\n{rules}"
