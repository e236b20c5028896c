"""Every blocking rule stops the load with a precise error and leaves the warehouse exactly as it was."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from synapse_pipeline.ingest.checks import FAILURE_COUNTS_KEY, FAILURES_KEY, SCHEMA_CHECK
from synapse_pipeline.lib.markdown import escape
from tests.support import Pipeline, failure_message

ESTOQUE = "estoque 1.csv"
FATURAMENTO = "faturamento 1.csv"
LINE = 7  # the header is line 1


def _set_value(path: Path, line: int, column: str, value: str) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split("|")
    fields = lines[line - 1].split("|")
    old = fields[header.index(column)]
    fields[header.index(column)] = value
    lines[line - 1] = "|".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")
    return old


def _run_all(pipeline: Pipeline) -> dg.ExecuteInProcessResult:
    return pipeline.materialize(["estoque_raw", "faturamento_raw", "clientes", "estoque"])


VALUE_RULES = [
    (ESTOQUE, "es_totalestoque", "-1.5", "greater_than_or_equal_to(0)"),
    (ESTOQUE, "dias_em_estoque", "-3", "greater_than_or_equal_to(0)"),
    (ESTOQUE, "dias_em_estoque", "12.5", "coerce_dtype('Int64')"),
    (ESTOQUE, "cod_cliente", "abc", "coerce_dtype('Int64')"),
    (ESTOQUE, "cod_cliente", "0", "greater_than(0)"),
    (ESTOQUE, "data", "2025-08-32", "coerce_dtype('datetime64[ns]')"),
    (ESTOQUE, "data", "1999-12-31", "greater_than_or_equal_to(2000-01-01 00:00:00)"),
    (ESTOQUE, "data", "2099-01-01", "date not in the future"),
    (ESTOQUE, "lote", "L" * 51, "str_length(None, 50)"),
    (ESTOQUE, "produto", "", "not_nullable"),
    (FATURAMENTO, "zs_uf", "XX", "isin(27 allowed values)"),
    (FATURAMENTO, "zs_peso_liquido", "1,2,3", "coerce_dtype('float64')"),
    (FATURAMENTO, "giro_sku_cliente", "", "not_nullable"),
    (FATURAMENTO, "zs_cidade", "C" * 101, "str_length(None, 100)"),
    (FATURAMENTO, "cod_cliente", "-12", "greater_than(0)"),
]


@pytest.mark.parametrize(("file", "column", "value", "rule"), VALUE_RULES)
def test_blocking_rule(bad: Pipeline, file: str, column: str, value: str, rule: str) -> None:
    _set_value(bad.data_dir / file, LINE, column, value)

    result = _run_all(bad)

    assert not result.success
    message = failure_message(result)
    assert f"{file}, line {LINE}, column {column}: {rule}" in message
    asset = file.split(" ")[0] + "_raw"
    check = next(
        c for c in result.get_asset_check_evaluations() if c.check_name == SCHEMA_CHECK and c.asset_key.path == [asset]
    )
    assert not check.passed
    failures = check.metadata[FAILURES_KEY].value.records
    assert [(f.data["line"], f.data["column"], f.data["rule"]) for f in failures] == [(LINE, column, rule)]
    assert failures[0].data["value"] in (value, "")
    assert check.metadata[FAILURE_COUNTS_KEY].value.splitlines()[2:] == [f"| {escape(f'{column}: {rule}')} | 1 |"]


def test_all_failures_are_collected(bad: Pipeline) -> None:
    path = bad.data_dir / FATURAMENTO
    _set_value(path, 3, "zs_uf", "ZZ")
    _set_value(path, 5, "cod_cliente", "x")
    _set_value(path, 5, "zs_uf", "YY")
    _set_value(path, 9, "data", "31/02/2024")

    result = _run_all(bad)

    check = next(c for c in result.get_asset_check_evaluations() if c.check_name == SCHEMA_CHECK and not c.passed)
    found = {(f.data["line"], f.data["column"]) for f in check.metadata[FAILURES_KEY].value.records}
    assert found == {(3, "zs_uf"), (5, "cod_cliente"), (5, "zs_uf"), (9, "data")}
    assert check.metadata["failure_count"].value == 4


def _rewrite(path: Path, change: "callable[[list[str]], list[str]]") -> None:  # type: ignore[valid-type]
    path.write_text("\n".join(change(path.read_text(encoding="utf-8").split("\n"))), encoding="utf-8")


FILE_RULES = [
    ("missing column", lambda ls: ["|".join(line.split("|")[:-1]) for line in ls], "missing column(s) SKU"),
    ("extra column", lambda ls: [line + "|x" if line else line for line in ls], "unexpected column(s) x"),
    ("wrong delimiter", lambda ls: [line.replace("|", ";") for line in ls], "wrong delimiter ';'"),
    ("stray pipe", lambda ls: [*ls[:6], ls[6] + "|extra", *ls[7:]], "line 7: 14 fields where the header has 13"),
    ("header only", lambda ls: [ls[0], ""], "header only"),
    ("cut 3 bytes before its end", lambda ls: [*ls[:-2], ls[-2][:-2]], "line 17344: the last line has no line end"),
    (
        "line cut short",
        lambda ls: [*ls[:6], "|".join(ls[6].split("|")[:9]), *ls[7:]],
        "line 7: 9 fields where the header has 13 (a line cut short)",
    ),
    ("empty", lambda ls: [], "empty file"),
]


@pytest.mark.parametrize(("name", "change", "expected"), FILE_RULES, ids=[r[0] for r in FILE_RULES])
def test_unreadable_file(bad: Pipeline, name: str, change: object, expected: str) -> None:
    _rewrite(bad.data_dir / FATURAMENTO, change)

    result = _run_all(bad)

    assert not result.success
    message = failure_message(result)
    assert message.startswith(FATURAMENTO) and expected in message, message


def test_no_file_and_several_files_are_errors(bad: Pipeline) -> None:
    (bad.data_dir / ESTOQUE).rename(bad.data_dir / "estoque 2.csv")
    shutil.copy(bad.data_dir / "estoque 2.csv", bad.data_dir / "estoque 3.csv")
    assert "several estoque*.csv files" in failure_message(_run_all(bad))
    for path in bad.data_dir.glob("estoque*.csv"):
        path.unlink()
    assert "no estoque*.csv file" in failure_message(_run_all(bad))


def test_file_changed_after_validation_is_refused(bad: Pipeline) -> None:
    assert bad.materialize(["faturamento_raw"]).success
    _set_value(bad.data_dir / FATURAMENTO, LINE, "zs_uf", "XX")
    result = bad.materialize(["faturamento"], partition="2024-03-01")
    assert "changed since faturamento_raw validated it" in failure_message(result)
