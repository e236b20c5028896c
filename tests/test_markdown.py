"""Previews in Dagster's UI escape every value: nothing from the data breaks the table or injects markup."""

from datetime import datetime
from decimal import Decimal

import pandas as pd

from synapse_pipeline.lib.markdown import PREVIEW_ROWS, bullets, escape, preview, table

HOSTILE = ["=cmd|' /C calc'!A0", "<script>alert(1)</script>", "'); DROP TABLE faturamento;--", "**bold** [x](y)"]


def test_preview_cells_are_escaped_and_the_table_keeps_its_shape() -> None:
    frame = pd.DataFrame({"zs_cidade": HOSTILE, "n": range(len(HOSTILE))})

    text = preview(frame).value

    lines = text.splitlines()
    assert len(lines) == 2 + len(HOSTILE)
    # Every row has exactly the table's own three unescaped pipes: none comes from the data.
    assert all(line.replace("\\|", "").count("|") == 3 for line in lines)
    assert "<script" not in text and "&lt;script&gt;" in text
    assert escape("a|b") == "a\\|b"


def test_preview_shows_a_few_rows_only() -> None:
    assert len(preview(pd.DataFrame({"x": range(100)})).value.splitlines()) == 2 + PREVIEW_ROWS
    assert preview(pd.DataFrame()).value == "(no rows)"


def test_previews_round_numbers_drop_midnight_and_leave_missing_values_empty() -> None:
    frame = pd.DataFrame({"t": [21.419999999999998, float("nan")], "tipo": [None, "Materia Prima"]})
    text = preview(frame).value
    assert "21\\.420" in text and "21.4199" not in text and "nan" not in text.lower()
    # As the warehouse returns them: NUMERIC as Decimal, days as timestamps at midnight
    rows = pd.DataFrame(
        {
            "peso": [Decimal("0.5990000000"), Decimal("-12.5000000000")],
            "data": [datetime(2025, 3, 1), datetime(2025, 3, 1, 14, 30)],
        }
    )
    assert [" ".join(line.split()) for line in preview(rows).value.splitlines()[2:]] == [
        "| 0\\.599 | 2025\\-03\\-01 |",
        "| \\-12\\.500 | 2025\\-03\\-01 14\\:30\\:00 |",
    ]


def test_small_mappings_read_as_tables() -> None:
    assert table({"ruptura": 161, "ok": 22}, "acao", "SKUs").value.splitlines() == [
        "| acao | SKUs |",
        "|---|---:|",
        "| ruptura | 161 |",
        "| ok | 22 |",
    ]


def test_text_values_align_left_and_lists_read_as_bullets() -> None:
    assert table({"Aço": "Aços planos"}, "grupo_original", "grupo").value.splitlines()[1] == "|---|---|"
    assert bullets(["2025-08-04", HOSTILE[1]]).value.splitlines() == [
        "- 2025\\-08\\-04",
        "- &lt;script&gt;alert\\(1\\)&lt;/script&gt;",
    ]
    assert bullets([]).value == table({}, "rule", "values").value == "(none)"
