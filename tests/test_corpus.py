"""A corpus of bad and awkward exports (`tests/data/`), each with the one outcome it must have.

Bad files (`tests/data/bad/`) stop the load with an error naming the file, the line, the column (where one applies)
and the rule, and leave every table of the warehouse exactly as it was. Awkward files (`tests/data/good/`) load, with
the right values in the warehouse. A corpus file replaces the export of its kind (the prefix of its name) in a
private copy of the sample folder, the other export staying the sample's; it keeps its name, so messages name it.

Quotes: any field, the header's too, may be wholly enclosed in double quotes, as spreadsheet tools save CSV (`""`
stands for one quote inside it). It is the only way a value can hold a '|', as the CSV-injection text
`"=cmd|' /C calc'!A0"` does. Any other '"' (`D"OESTE`, a quote never closed) is refused.
CSV-injection and SQL-looking text are data: stored literally and never executed (loads use COPY and bound
parameters). They are not altered on the way in either; escaping formulas is for whatever hands data to a spreadsheet.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import dagster as dg
import psycopg
import pytest
from sqlalchemy.engine import URL

from synapse_pipeline.ingest.checks import RETURNS_CHECK, SCHEMA_CHECK
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import UNPARTITIONED, Pipeline, empty_tables, failure_message, libpq

CORPUS = Path(__file__).parent / "data"
BAD_DIR, GOOD_DIR = CORPUS / "bad", CORPUS / "good"
SAMPLE_FILE = {"estoque": "estoque 1.csv", "faturamento": "faturamento 1.csv"}
RAW = ["estoque_raw", "faturamento_raw"]
RAW_AND_LOADS = [*RAW, "clientes", "estoque"]  # what a bad file runs, like test_validation's `_run_all`
JANUARY_2024 = ("2024-01-01", "2024-01-01")
EARLY_2024 = ("2024-01-01", "2024-02-01")

# Every bad file and the text its failure must hold: file, line, column where one applies, rule (and the value).
BAD: dict[str, str] = {
    # The file as a whole
    "estoque_empty.csv": "estoque_empty.csv: empty file (no header line)",
    "estoque_bom_only.csv": "estoque_bom_only.csv, line 1: no header (the first line is blank)",
    "estoque_header_only.csv": "estoque_header_only.csv: header only, no data lines",
    "estoque_utf16.csv": "estoque_utf16.csv, line 1: NUL byte (0x00), not text (a UTF-16 file, or a copy cut short)",
    "estoque_semicolon.csv": "estoque_semicolon.csv, line 1: wrong delimiter ';'; the exports are separated by '|'",
    "estoque_extra_column.csv": (
        "estoque_extra_column.csv, line 1: header does not match the estoque export: unexpected column(s) observacao"
    ),
    "faturamento_missing_column.csv": (
        "faturamento_missing_column.csv, line 1: header does not match the faturamento export: "
        "missing column(s) giro_sku_cliente"
    ),
    "faturamento_mixed_encoding.csv": (
        "faturamento_mixed_encoding.csv, line 6, column zs_cidade: mixed encodings "
        "(UTF-8 elsewhere in the file, but these bytes are not UTF-8)"
    ),
    "faturamento_cut_short_nul_padding.csv": (
        "faturamento_cut_short_nul_padding.csv, line 6, column zs_cidade: NUL byte (0x00)"
    ),
    # Broken lines
    "faturamento_stray_pipe.csv": (
        "faturamento_stray_pipe.csv, line 5: 14 fields where the header has 13 (a stray '|' or a broken line)"
    ),
    "faturamento_stray_quote.csv": (
        "faturamento_stray_quote.csv, line 4, column zs_cidade: stray '\"' (value 'SANTA BARBARA D\"OESTE'); "
        "a '\"' may only enclose a whole field, and is written '\"\"' inside one"
    ),
    "faturamento_unclosed_quote.csv": (
        "faturamento_unclosed_quote.csv, line 5, column lote: stray '\"' (value '\"ERB803/2')"
    ),
    # cut in the UF field, no line end: a file still being written, or cut short
    "faturamento_truncated_last_line.csv": (
        "faturamento_truncated_last_line.csv, line 7: the last line has no line end "
        "(the file may still be being written, or was cut short)"
    ),
    # cut in the city field, the line end kept: the fields after it are missing, not empty
    "faturamento_short_line.csv": (
        "faturamento_short_line.csv, line 5: 9 fields where the header has 13 (a line cut short)"
    ),
    "faturamento_blank_line.csv": "faturamento_blank_line.csv, line 4, column data: not_nullable (value '')",
    "estoque_two_exports_concatenated.csv": (
        "estoque_two_exports_concatenated.csv, line 5, column data: coerce_dtype('datetime64[ns]') (value 'data')"
    ),
    # Values
    "estoque_day_32.csv": (
        "estoque_day_32.csv, line 3, column data: coerce_dtype('datetime64[ns]') (value '2025-08-32')"
    ),
    "faturamento_dmy_31_february.csv": (
        "faturamento_dmy_31_february.csv, line 3, column data: coerce_dtype('datetime64[ns]') (value '31/02/2024')"
    ),
    "faturamento_mixed_date_formats.csv": (
        "faturamento_mixed_date_formats.csv, line 5, column data: coerce_dtype('datetime64[ns]') (value '10/01/2024')"
    ),
    "faturamento_year_1899.csv": (
        "faturamento_year_1899.csv, line 4, column data: greater_than_or_equal_to(2000-01-01 00:00:00) "
        "(value '1899-12-30')"
    ),
    "faturamento_future_date.csv": (
        "faturamento_future_date.csv, line 7, column data: date not in the future (value '2204-01-10')"
    ),
    "faturamento_text_in_weight.csv": (
        "faturamento_text_in_weight.csv, line 3, column zs_peso_liquido: coerce_dtype('float64') (value '#N/D')"
    ),
    "faturamento_decimal_comma_in_point_file.csv": (
        "faturamento_decimal_comma_in_point_file.csv, line 6, column zs_peso_liquido: coerce_dtype('float64') "
        "(value '6,768')"
    ),
    "faturamento_client_code_text.csv": (
        "faturamento_client_code_text.csv, line 2, column cod_cliente: coerce_dtype('Int64') (value 'C-10622')"
    ),
    "faturamento_null_client.csv": "faturamento_null_client.csv, line 6, column cod_cliente: not_nullable (value '')",
    "estoque_null_produto.csv": "estoque_null_produto.csv, line 6, column produto: not_nullable (value '')",
    "estoque_blank_lote.csv": "estoque_blank_lote.csv, line 4, column lote: not_nullable (value '          ')",
    "estoque_lote_too_long.csv": (
        "estoque_lote_too_long.csv, line 3, column lote: str_length(None, 50) "
        "(value 'EIR295/4 REF PEDIDO 4500012345 RETIRA NA FABRICA AMANHA')"
    ),
    "faturamento_city_too_long.csv": (
        "faturamento_city_too_long.csv, line 2, column zs_cidade: str_length(None, 100) (value 'CAMPINAS - RUA"
    ),
    "estoque_negative_stock.csv": (
        "estoque_negative_stock.csv, line 4, column es_totalestoque: greater_than_or_equal_to(0) (value '-0.250')"
    ),
    "estoque_negative_age.csv": (
        "estoque_negative_age.csv, line 5, column dias_em_estoque: greater_than_or_equal_to(0) (value '-12')"
    ),
    "faturamento_unknown_uf.csv": (
        "faturamento_unknown_uf.csv, line 4, column zs_uf: isin(27 allowed values) (value 'EX')"
    ),
    # Numbers the warehouse cannot hold: Infinity, a client code beyond the DDL's INTEGER
    "faturamento_infinite_weight.csv": (
        "faturamento_infinite_weight.csv, line 4, column zs_peso_liquido: a finite number (value 'inf')"
    ),
    "estoque_client_code_overflow.csv": (
        "estoque_client_code_overflow.csv, line 2, column cod_cliente: less_than_or_equal_to(2147483647) "
        "(value '25925000000')"
    ),
}


def _use(data_dir: Path, *corpus_files: Path) -> None:
    """Put each corpus file in place of the export of its kind (the prefix of its name)."""
    for path in corpus_files:
        for replaced in data_dir.glob(f"{path.name.split('_')[0]}*.csv"):
            replaced.unlink()
        shutil.copy(path, data_dir / path.name)


def _assert_refused(result: dg.ExecuteInProcessResult, name: str, expected: str) -> str:
    assert not result.success
    message = failure_message(result)
    assert message.startswith(name) and expected in message, message
    kind = name.split("_")[0]
    schema = next(
        c
        for c in result.get_asset_check_evaluations()
        if c.check_name == SCHEMA_CHECK and c.asset_key.path == [f"{kind}_raw"]
    )
    assert not schema.passed
    return message


@pytest.mark.parametrize("name", list(BAD))
def test_bad_file_is_refused(bad: Pipeline, name: str) -> None:
    _use(bad.data_dir, BAD_DIR / name)

    result = bad.materialize(RAW_AND_LOADS)

    _assert_refused(result, name, BAD[name])


def test_megabyte_field_is_refused(bad: Pipeline) -> None:
    """A 9 MB field (larger than a profiling block) in the full sample: refused with a short message."""
    name = "faturamento_megabyte_field.csv"
    sample = bad.data_dir / SAMPLE_FILE["faturamento"]
    lines = sample.read_text(encoding="utf-8").split("\n")
    fields = lines[3].split("|")
    fields[8] = "CAMPINAS " * 1_000_000
    lines[3] = "|".join(fields)
    sample.unlink()
    (bad.data_dir / name).write_text("\n".join(lines), encoding="utf-8")

    result = bad.materialize(RAW_AND_LOADS)

    message = _assert_refused(
        result, name, f"{name}, line 4, column zs_cidade: str_length(None, 100) (value 'CAMPINAS CAMPINAS"
    )
    assert len(message) < 2_000


# ---- awkward files that load ----

# Files whose difficulty is all in the reading load on PostgreSQL only; the rest also on SQLite, which stores text
# and numbers its own way.
POSTGRESQL_ONLY = pytest.mark.parametrize("good", ["postgresql"], indirect=True)


@pytest.fixture(scope="module")
def good_database(pg_server: URL) -> Iterator[URL]:
    """A PostgreSQL database of its own, so that loading the good files never touches `loaded`'s warehouse."""
    name = f"synapse_corpus_{uuid4().hex[:12]}"
    admin = libpq(pg_server)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_server.set(database=name)
    engine = make_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["postgresql", "sqlite"])
def good(request: pytest.FixtureRequest, sample_dir: Path, tmp_path: Path) -> Iterator[Pipeline]:
    """An empty warehouse (PostgreSQL or SQLite) and a private copy of the sample."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    else:
        database = request.getfixturevalue("good_database")
        engine = make_engine(database)
        empty_tables(engine)
        engine.dispose()
        url = database.render_as_string(hide_password=False)
    shutil.copytree(sample_dir, tmp_path / "data")
    with dg.instance_for_test() as instance:
        yield Pipeline(url, tmp_path / "data", tmp_path / "io", instance)


def _load(pipeline: Pipeline, *names: str, months: tuple[str, str] = JANUARY_2024) -> dg.ExecuteInProcessResult:
    """Load the good files named (with the sample's other export) and the faturamento months given."""
    _use(pipeline.data_dir, *(GOOD_DIR / n for n in names))
    raw = pipeline.materialize(UNPARTITIONED)
    assert raw.success, failure_message(raw)
    loaded = pipeline.materialize(["faturamento"], months=months)
    assert loaded.success, failure_message(loaded)
    return raw


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, object]:
    return {k: v.value for k, v in result.asset_materializations_for_node(asset)[0].metadata.items()}


def test_returns_and_zero_weights_are_loaded(good: Pipeline) -> None:
    raw = _load(good, "faturamento_returns_and_zero_weights.csv")

    weights = {lote: float(w) for lote, w in good.rows("SELECT lote, zs_peso_liquido FROM faturamento")}
    assert weights == {
        "KIY253/1": 16.928,
        "ILQ769/8": 2.027,
        "YMH396/7": -1.258,
        "XYG630/5": -0.411,
        "JAB139/2": 0.0,
        "PGR561/7": 0.0,
    }
    assert float(good.scalar("SELECT sum(zs_peso_liquido) FROM faturamento")) == pytest.approx(17.286)
    returns = next(c for c in raw.get_asset_check_evaluations() if c.check_name == RETURNS_CHECK)
    assert (returns.metadata["negative_weights"].value, returns.metadata["zero_weights"].value) == (2, 2)


@POSTGRESQL_ONLY
def test_duplicate_lines_are_all_kept(good: Pipeline) -> None:
    raw = _load(good, "estoque_duplicate_lines.csv", "faturamento_duplicate_lines.csv")

    billed = dict(good.rows("SELECT lote, count(*) FROM faturamento GROUP BY lote"))
    assert billed == {"KIY253/1": 3, "ILQ769/8": 1, "YMH396/7": 2, "GOJ286/5": 1}
    stock = dict(good.rows("SELECT lote, count(*) FROM estoque GROUP BY lote"))
    assert stock == {"QNG051/2": 1, "YGJ917/5": 2, "KKY673/3": 1, "EIR295/4": 1}
    assert _metadata(raw, "faturamento_raw")["duplicate_lines"] == 3
    assert _metadata(raw, "estoque_raw")["duplicate_lines"] == 1


ESTOQUE_SKUS = {
    "QNG051/2": "SKU_187",
    "KKY673/3": "SKU_905",
    "EIR295/4": "SKU_881",
    "YGJ917/5": "SKU_493",
    "SEC539/6": "SKU_256",
    "ZXG405 /9": "SKU_526",
}
FATURAMENTO_SKUS = {
    "KIY253/1": "SKU_1120",
    "ILQ769/8": "SKU_1447",
    "GOJ286/5": "SKU_1443",
    "ERB803/2": "SKU_1443",
    "CTU319/9": "SKU_1446",
    "XBX870/0": "SKU_239",
}


@POSTGRESQL_ONLY
def test_bom_and_crlf_are_read_as_plain_text(good: Pipeline) -> None:
    raw = _load(good, "estoque_crlf.csv", "faturamento_bom.csv")

    assert _metadata(raw, "faturamento_raw")["encoding"] == "utf-8-sig"
    assert _metadata(raw, "estoque_raw")["line_ending"] == "CRLF"
    assert dict(good.rows('SELECT lote, "SKU" FROM estoque')) == ESTOQUE_SKUS  # no '\r' left on the last column
    assert dict(good.rows('SELECT lote, "SKU" FROM faturamento')) == FATURAMENTO_SKUS
    assert good.scalar("SELECT count(DISTINCT data) FROM faturamento") == 1


def test_latin1_text_is_decoded(good: Pipeline) -> None:
    raw = _load(good, "faturamento_latin1.csv", months=EARLY_2024)

    assert _metadata(raw, "faturamento_raw")["encoding"] == "cp1252"
    assert set(good.rows("SELECT lote, zs_gr_mercad, zs_cidade FROM faturamento")) == {
        ("KIY253/1", "ZINCADO", "CAMPINAS"),
        ("KMG681/9", "PRÉ-PINTADO GALVALUME", "POMPEIA"),
        ("AWM836/6", "ZINCADO", "SÃO JOSÉ DOS PINHAIS"),
        ("VEQ386/7", "LAMINADO A FRIO", "JARAGUÁ DO SUL"),
    }


@pytest.mark.slow  # two whole loads compared: out of the fast lane
def test_dmy_dates_and_decimal_commas_give_the_iso_file_values(good: Pipeline) -> None:
    _load(good, "estoque_iso.csv", "faturamento_iso.csv")
    iso = good.checksums()
    iso_total = float(good.scalar("SELECT sum(zs_peso_liquido) FROM faturamento"))

    raw = _load(good, "estoque_dmy_decimal_comma.csv", "faturamento_dmy_decimal_comma.csv")

    for asset in RAW:
        metadata = _metadata(raw, asset)
        assert (metadata["date_format"], metadata["decimal_separator"]) == ("DD/MM/YYYY", "comma")
    assert good.checksums() == iso
    assert iso_total == pytest.approx(16.928 + 2.027 + 13.895 + 2.568 + 6.768 + 1.748 - 1.258 + 0)
    assert float(good.scalar("SELECT sum(es_totalestoque) FROM estoque")) == pytest.approx(14.968)
    assert {str(d)[:10] for (d,) in good.rows("SELECT DISTINCT data FROM estoque")} == {"2025-08-04"}


@POSTGRESQL_ONLY
def test_padded_and_double_encoded_values_are_repaired(good: Pipeline) -> None:
    raw = _load(good, "estoque_padded.csv", "faturamento_padded_and_double_encoded.csv", months=EARLY_2024)

    query = 'SELECT lote, origem, zs_gr_mercad, produto, cod_produto, zs_cidade, zs_uf, "SKU" FROM faturamento'
    assert set(good.rows(query)) == {
        ("KMG681/9", "PRG", "PRÉ-PINTADO GALVALUME", "Bobina", "BPP", "POMPEIA", "SP", "SKU_865"),
        ("ILQ769/8", "PRG", "ZINCADO", "Rolo", "RZN", "MARINGA", "PR", "SKU_1447"),
        ("GOJ286/5", "MFL_QP_DP", "ZINCADO", "Rolo", "RZN", "ITAJAI", "SC", "SKU_1443"),
    }
    assert float(good.scalar("SELECT zs_peso_liquido FROM faturamento WHERE lote = 'GOJ286/5'")) == 13.895
    # 'E_PRG_REF' padded to 60 characters fits the DDL's 50 once trimmed; the space inside a lot stays
    assert set(good.rows("SELECT lote, origem FROM estoque")) == {
        ("QNG051/2", "S_PRG_REF"),
        ("YGJ917/5", "E_PRG_REF"),
        ("SEC539/6", "S_PRG_REF"),
        ("ZXG405 /9", "S_PRG_REF"),
    }
    cleaning = _metadata(raw, "faturamento_raw")["cleaning"]
    assert {r.data["rule"]: r.data["values_changed"] for r in cleaning.records} == {
        "encoding_repaired": 1,
        "trimmed": 7,
        "product_spelling": 2,
    }


INJECTION = {
    # lote: (cod_produto, zs_cidade, SKU), as written in the file once its CSV quoting is read
    "KIY253/1": ("BZN", "=cmd|' /C calc'!A0", "SKU_1120"),
    "'); DROP TABLE faturamento;--": ("RZN", "MARINGA", "SKU_1447"),
    "GOJ286/5": ("@SUM(1+9)*cmd|' /C calc'!A0", "+ITAJAI", "SKU_1443"),
    "1'; DELETE FROM clientes; --": ("RZN", "-2+3", "SKU_1443' OR '1'='1"),
    "CTU319/9": ("BFQ", '=HYPERLINK("http://x.example")', "SKU_1446"),
}


def test_injection_text_is_stored_literally_and_never_run(good: Pipeline) -> None:
    _load(good, "faturamento_injection.csv")

    rows = good.rows('SELECT lote, cod_produto, zs_cidade, "SKU" FROM faturamento')
    assert {lote: tuple(rest) for lote, *rest in rows} == INJECTION
    assert good.scalar("SELECT count(*) FROM faturamento") == len(INJECTION)
    assert good.scalar("SELECT count(*) FROM clientes") == 11
    assert good.scalar("SELECT count(*) FROM estoque") == 1_471


def test_an_export_saved_by_a_spreadsheet_loads_the_same_rows(good: Pipeline) -> None:
    """The injection file as a spreadsheet saves it (every field and header name quoted, CRLF): the same warehouse."""
    _load(good, "faturamento_injection.csv")
    expected = good.checksums()

    raw = _load(good, "faturamento_spreadsheet.csv")

    assert good.checksums() == expected
    assert _metadata(raw, "faturamento_raw")["data_lines"] == len(INJECTION)
