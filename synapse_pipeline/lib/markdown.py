"""Markdown shown in Dagster's UI: every value from the data escaped, so none can break a table or inject markup."""

import html
import re

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 10
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:<>])")


def escape(text: str) -> str:
    """Data as literal markdown text: one line, HTML as entities, markdown punctuation (and `|`) backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))


def preview(frame: pd.DataFrame) -> dg.MetadataValue:
    """A small markdown table of the first rows, every cell escaped."""
    if frame.empty:
        return dg.MetadataValue.md("(no rows)")
    shown = frame.head(PREVIEW_ROWS).map(lambda v: "" if v is None or v is pd.NA else escape(str(v)))
    shown.columns = [escape(str(c)) for c in shown.columns]
    return dg.MetadataValue.md(shown.to_markdown(index=False, disable_numparse=True))
