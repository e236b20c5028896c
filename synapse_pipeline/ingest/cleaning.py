"""Cleaning applied on the way in, counted per rule so the UI shows what changed.

A chunk's columns arrive dictionary-encoded (`distinct`), but for those that hold a value per line: the rules run on
each column's distinct values only, with Arrow's string kernels, and a rule's count is the lines whose value it
changed. ftfy, far too slow to run per row, sees each distinct non-ASCII value once. The same distinct values give
each line's hash, from which the reader finds the file's exact duplicate lines.
"""

from collections import Counter
from collections.abc import Callable, Mapping

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc

from synapse_pipeline.ingest.kinds import UNIQUE_PER_LINE
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
NULL_HASH = np.uint64(0x9E3779B97F4A7C15)  # an empty field's hash: no text hashes to it in practice
HASH_MULTIPLIER = np.uint64(0x100000001B3)  # FNV's prime: a line's hash mixes its fields' in their order

Rule = Callable[[arrow.Array], arrow.Array]


def distinct(raw: arrow.Table, columns: list[str]) -> dict[str, arrow.Array]:
    """The chunk's text columns dictionary-encoded: each distinct value once, and each line's index into them (null
    for an empty field); a column of UNIQUE_PER_LINE as it is (a dictionary of it would be the column again)."""
    encoded = {}
    for column in columns:
        values = raw[column].combine_chunks()
        encoded[column] = values if column in UNIQUE_PER_LINE else pc.dictionary_encode(values)
    return encoded


def _hashes(values: arrow.Array) -> np.ndarray:
    """A 64-bit hash of each value (NULL_HASH for a null)."""
    hashed = pd.util.hash_array(values.to_numpy(zero_copy_only=False), categorize=False)
    if values.null_count:
        hashed[values.is_null().to_numpy(zero_copy_only=False)] = NULL_HASH
    return hashed


def line_hashes(columns: Mapping[str, arrow.Array]) -> np.ndarray:
    """A 64-bit hash of each line's raw values: equal lines, equal hashes (a dictionary's values hashed once each)."""
    combined: np.ndarray | None = None
    for encoded in columns.values():
        if isinstance(encoded, arrow.DictionaryArray):
            # Slot 0 is an empty field's: a column empty on every line has no distinct value at all.
            values = np.concatenate([[NULL_HASH], _hashes(encoded.dictionary)])
            hashed = values.take(encoded.indices.fill_null(-1).to_numpy() + 1)
        else:
            hashed = _hashes(encoded)
        combined = hashed if combined is None else combined * HASH_MULTIPLIER ^ hashed  # wraps around, as meant
    return combined if combined is not None else np.zeros(0, dtype=np.uint64)


def _repair(values: arrow.Array) -> arrow.Array:
    """ftfy on the non-ASCII values only: plain ASCII cannot be double-encoded."""
    suspect = pc.invert(pc.string_is_ascii(values))
    if not pc.any(suspect).as_py():
        return values
    import ftfy  # 0.16 s at every Dagster process's start otherwise; most exports never need it

    repaired = [ftfy.fix_encoding(value) for value in pc.filter(values, suspect).to_pylist()]
    return pc.replace_with_mask(values, suspect, arrow.array(repaired, values.type))


def _trim(values: arrow.Array) -> arrow.Array:
    return pc.utf8_trim_whitespace(values)


def _product_spelling(values: arrow.Array) -> arrow.Array:
    return pc.utf8_capitalize(values)


class Cleaner:
    """Applies the cleaning rules to a chunk's dictionary-encoded text columns and counts the lines each rule
    changed."""

    def clean(
        self, raw: arrow.Table, columns: Mapping[str, arrow.Array], counts: Counter[str], index: pd.Index
    ) -> pd.DataFrame:
        """The cleaned chunk as text (a value cleaned down to nothing: null), indexed by `index`; `columns` are
        `raw`'s, `distinct`."""
        cleaned = {}
        for column, encoded in columns.items():
            rules: list[tuple[str, Rule]] = [(ENCODING_REPAIRED, _repair), (TRIMMED, _trim)]
            if column in PRODUCT_COLUMNS:
                rules.append((PRODUCT_SPELLING, _product_spelling))
            cleaned[column] = _clean_column(raw[column], encoded, rules, counts)
        return arrow.table(cleaned).to_pandas().set_axis(index)


def _clean_column(
    raw: arrow.ChunkedArray, encoded: arrow.Array, rules: list[tuple[str, Rule]], counts: Counter[str]
) -> arrow.ChunkedArray | arrow.Array:
    """The column with every rule applied to its distinct values (`encoded` a dictionary) or to each line's (`encoded`
    the column), each rule counted by the lines it changed; the raw column itself when no rule changed a value (most
    columns: nothing to rebuild)."""
    dictionary = isinstance(encoded, arrow.DictionaryArray)
    original = values = encoded.dictionary if dictionary else encoded
    lines_per_value: np.ndarray | None = None
    for rule, fix in rules:
        fixed = fix(values)
        if fixed is values:  # the rule had nothing to do (plain ASCII needs no repair): nothing to compare
            continue
        changed = pc.fill_null(pc.not_equal(fixed, values), False).to_numpy(zero_copy_only=False)
        if changed.any():
            if not dictionary:
                counts[rule] += int(np.count_nonzero(changed))
            else:
                if lines_per_value is None:
                    lines_per_value = np.bincount(encoded.indices.drop_null().to_numpy(), minlength=len(values))
                counts[rule] += int(lines_per_value[changed].sum())
            values = fixed
    empty = pc.equal(values, "")
    if values is original and not pc.any(empty).as_py():
        return raw
    emptied = pc.if_else(empty, arrow.scalar(None, values.type), values)
    return pc.take(emptied, encoded.indices) if dictionary else emptied


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
