"""Markdown shown in Dagster's UI: every value from the data escaped, so none can break a table or inject markup."""

import html
import re
from collections.abc import Iterable
from datetime import datetime, time
from decimal import Decimal

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 10
NONE = "(none)"
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:<>])")


def escape(text: str) -> str:
    """Data as literal markdown text: one line, HTML as entities, markdown punctuation (and `|`) backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))


def _cell(value: object) -> str:
    """A value as shown: empty for a missing one, numbers to three decimals (sums of floats print 21.419999...,
    NUMERIC(18,10) columns 0.5990000000), a day without its midnight."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float | Decimal):
        return escape(f"{value:.3f}")
    if isinstance(value, datetime) and value.time() == time():
        return escape(value.date().isoformat())
    return escape(str(value))


def table(rows: dict[str, object], key: str, value: str) -> dg.MetadataValue:
    """A two-column markdown table of a small mapping (a count per action, a setting per name), escaped; the values
    right-aligned when they are all numbers; `(none)` when empty, not a table of headers only."""
    if not rows:
        return dg.MetadataValue.md(NONE)
    numbers = all(isinstance(v, int | float) for v in rows.values())
    lines = [f"| {escape(key)} | {escape(value)} |", "|---|---:|" if numbers else "|---|---|"]
    lines += [f"| {escape(str(k))} | {escape(str(v))} |" for k, v in rows.items()]
    return dg.MetadataValue.md("\n".join(lines))


def bullets(items: Iterable[object]) -> dg.MetadataValue:
    """A markdown list of a few values (dates, file names, disagreements), escaped; `(none)` when empty."""
    lines = [f"- {escape(str(item))}" for item in items]
    return dg.MetadataValue.md("\n".join(lines) or NONE)


def preview(frame: pd.DataFrame) -> dg.MetadataValue:
    """A small markdown table of the first rows, every cell escaped."""
    if frame.empty:
        return dg.MetadataValue.md("(no rows)")
    shown = frame.head(PREVIEW_ROWS).map(_cell)
    shown.columns = [escape(str(c)) for c in shown.columns]
    return dg.MetadataValue.md(shown.to_markdown(index=False, disable_numparse=True))
