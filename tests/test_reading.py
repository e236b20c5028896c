"""Reading an export's text: fields quoted as spreadsheet tools save them, and files cut short or still being written.

A fully quoted export (every field and header name in double quotes, `""` for a quote, a '|' inside quotes) reads as
the same lines as the export with only the quotes CSV needs. A last line without its line end, or a line with too few
fields, refuses the file with the line named, never a value pandera would then find missing.
"""

import csv
import threading
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy.engine import URL

from synapse_pipeline.ingest.kinds import ESTOQUE, FATURAMENTO, ExportError
from synapse_pipeline.ingest.loads import PROGRESS_PREFIX
from synapse_pipeline.ingest.profile import profile_file
from synapse_pipeline.ingest.raw import billed_months
from synapse_pipeline.ingest.reader import BLOCK_BYTES, ExportReader
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import UNPARTITIONED, Pipeline, empty_tables, failure_message

FILES = {ESTOQUE: "estoque 1.csv", FATURAMENTO: "faturamento 1.csv"}
BILLING = FILES[FATURAMENTO]
LAST_LINE = 17_344  # the sample's 17,343 billing lines after the header
QUOTE_IN_VALUE = 'SANTA BARBARA D"OESTE'
PIPE_IN_VALUE = "ERB|803/2"
EVERY = 101  # one billing line in EVERY holds both
SMALL_CHUNKS = 1_000  # lines: each block Arrow parses (about 8,700 billing lines) a chunk
HALF_WRITTEN = "the last line has no line end (the file may still be being written, or was cut short)"


def _awkward_rows(path: Path) -> list[list[str]]:
    """The export's lines as fields; in billing, a city holding a '"' and a lot holding a '|' every EVERY lines."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="|"))
    if "zs_cidade" in rows[0]:
        city, lot = rows[0].index("zs_cidade"), rows[0].index("lote")
        for row in rows[1::EVERY]:
            row[city], row[lot] = QUOTE_IN_VALUE, PIPE_IN_VALUE
    return rows


def _write(path: Path, rows: list[list[str]], quoting: int) -> Path:
    """Write `rows` as a '|' export: QUOTE_MINIMAL quotes only the values that need it, QUOTE_ALL every field."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter="|", quoting=quoting, lineterminator="\n").writerows(rows)
    return path


def _read(path: Path) -> tuple[pd.DataFrame, ExportReader]:
    """Every line of a billing export as the reader hands it to the loads, in small chunks, and the reader."""
    reader = ExportReader(path, FATURAMENTO, chunk_rows=SMALL_CHUNKS)
    return pd.concat(reader.chunks()), reader


def test_a_fully_quoted_export_reads_as_the_same_lines(sample_dir: Path, tmp_path: Path) -> None:
    rows = _awkward_rows(sample_dir / BILLING)
    plain = _write(tmp_path / "plain" / BILLING, rows, csv.QUOTE_MINIMAL)
    quoted = _write(tmp_path / "quoted" / BILLING, rows, csv.QUOTE_ALL)
    assert quoted.read_text(encoding="utf-8").startswith('"data"|"cod_cliente"|"lote"|')

    expected, plain_reader = _read(plain)
    lines, reader = _read(quoted)

    pd.testing.assert_frame_equal(lines, expected)
    assert len(lines) == LAST_LINE - 1
    assert (lines["zs_cidade"] == QUOTE_IN_VALUE).sum() == (lines["lote"] == PIPE_IN_VALUE).sum() == 172
    report, plain_report = reader.report, plain_reader.report
    assert (report.rows, report.duplicate_lines, report.dates, report.cleaning) == (
        plain_report.rows,
        plain_report.duplicate_lines,
        plain_report.dates,
        plain_report.cleaning,
    )
    assert reader.profile.data_lines == plain_reader.profile.data_lines == LAST_LINE - 1


def test_failures_in_a_quoted_export_name_their_line(sample_dir: Path, tmp_path: Path) -> None:
    rows = _awkward_rows(sample_dir / BILLING)
    rows[17_000 - 1][rows[0].index("zs_uf")] = "XX"  # line 17,000, in the last chunk
    _, reader = _read(_write(tmp_path / BILLING, rows, csv.QUOTE_ALL))

    assert [(f.line, f.column, f.rule, f.value) for f in reader.report.failures] == [
        (17_000, "zs_uf", "isin(27 allowed values)", "XX")
    ]


def test_a_stray_quote_in_a_quoted_export_is_refused_with_its_column(sample_dir: Path, tmp_path: Path) -> None:
    rows = _awkward_rows(sample_dir / BILLING)
    rows[4][rows[0].index("origem")] = "STRAY"
    path = _write(tmp_path / BILLING, rows, csv.QUOTE_ALL)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"STRAY"', '"PRG"x'), encoding="utf-8")  # line 5: text after a closing quote

    with pytest.raises(ExportError) as refused:
        ExportReader(path, FATURAMENTO)
    assert str(refused.value).startswith(f"{BILLING}, line 5, column origem: stray '\"' (value '\"PRG\"x')")


def test_a_nul_byte_in_a_quoted_export_is_placed_by_the_quoted_header(sample_dir: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / BILLING, _awkward_rows(sample_dir / BILLING), csv.QUOTE_ALL)
    content = path.read_bytes()
    city = content.index(b"SANTA BARBARA")  # line 2: a city after a lot holding a '|'
    path.write_bytes(content[:city] + b"\0" + content[city:])

    with pytest.raises(ExportError, match=f"^{BILLING}, line 2, column zs_cidade: NUL byte"):
        profile_file(path)


@pytest.mark.parametrize("cut", [3, 30], ids=["3 bytes before the end", "in the middle of the last line"])
def test_a_half_written_file_is_refused(sample_dir: Path, tmp_path: Path, cut: int) -> None:
    path = tmp_path / BILLING
    path.write_bytes((sample_dir / BILLING).read_bytes()[:-cut])

    with pytest.raises(ExportError) as refused:
        ExportReader(path, FATURAMENTO).validate()
    assert str(refused.value) == f"{BILLING}, line {LAST_LINE}: {HALF_WRITTEN}"


def test_a_line_cut_short_is_refused_with_its_field_count(sample_dir: Path, tmp_path: Path) -> None:
    lines = (sample_dir / BILLING).read_text(encoding="utf-8").split("\n")
    lines[9_000 - 1] = "|".join(lines[9_000 - 1].split("|")[:9])  # line 9,000 ends after zs_cidade
    path = tmp_path / BILLING
    path.write_text("\n".join(lines), encoding="utf-8")

    with pytest.raises(ExportError) as refused:
        ExportReader(path, FATURAMENTO, chunk_rows=SMALL_CHUNKS).validate()
    assert str(refused.value) == f"{BILLING}, line 9000: 9 fields where the header has 13 (a line cut short)"


def test_a_line_longer_than_a_parser_block_is_read_whole(sample_dir: Path, tmp_path: Path) -> None:
    rows = _awkward_rows(sample_dir / BILLING)
    rows[3 - 1][rows[0].index("zs_cidade")] = "CAMPINAS " * (3 * BLOCK_BYTES // 9)  # line 3: 3 MiB
    report = ExportReader(_write(tmp_path / BILLING, rows, csv.QUOTE_ALL), FATURAMENTO).validate()

    assert [(f.line, f.column, f.rule) for f in report.failures] == [(3, "zs_cidade", "str_length(None, 100)")]
    assert report.failure_total == 1


def test_a_fully_quoted_export_loads_the_same_rows(pipeline: Pipeline) -> None:
    """Both exports fully quoted, through Dagster into the warehouse: the same rows as with only the needed quotes."""
    every = {kind: _awkward_rows(pipeline.data_dir / name) for kind, name in FILES.items()}
    for kind, name in FILES.items():
        _write(pipeline.data_dir / name, every[kind], csv.QUOTE_MINIMAL)
    pipeline.load_all()
    expected = pipeline.checksums()
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE lote = :lot", lot=PIPE_IN_VALUE) == 172

    for kind, name in FILES.items():
        _write(pipeline.data_dir / name, every[kind], csv.QUOTE_ALL)
    pipeline.load_all()

    assert pipeline.checksums() == expected
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE zs_cidade = :city", city=QUOTE_IN_VALUE) == 172


@pytest.mark.slow
def test_a_file_overwritten_while_it_loads_is_refused_and_nothing_of_it_is_kept(
    pg_database: URL, tmp_path: Path
) -> None:
    """A 1M-line export replaced in place (same inode, as `cp` does) once the load has written a tenth of it: the
    load reads far less than the file ahead (Arrow holds 32 MiB), so it meets the new bytes; it is refused and
    rolled back, never a mix of two files."""
    from synapse_pipeline.sample_data.generator import generate  # only this test needs a file this large

    engine = make_engine(pg_database)
    upgrade_schema(engine)
    empty_tables(engine)
    engine.dispose()
    data = tmp_path / "data"
    generate(data, faturamento_rows=1_000_000)
    export = data / "faturamento 1.csv"
    original = export.read_bytes()
    with dg.instance_for_test() as instance:
        pipeline = Pipeline(pg_database.render_as_string(hide_password=False), data, tmp_path / "io", instance)
        assert pipeline.materialize(UNPARTITIONED).success
        months = billed_months(instance)

        def overwrite_after_a_tenth() -> None:
            while not any(
                PROGRESS_PREFIX in (entry.message or "")
                for run in instance.get_runs(limit=1)
                for entry in instance.all_logs(run.run_id)
            ):
                time.sleep(0.05)
            with export.open("r+b") as same_inode:  # what `cp new old` does: the same file, new bytes
                same_inode.write(original.replace(b"|SP|", b"|PR|"))

        writer = threading.Thread(target=overwrite_after_a_tenth)
        writer.start()
        loaded = pipeline.materialize(["faturamento"], months=(months[0], months[-1]))
        writer.join()

        assert not loaded.success
        assert "faturamento 1.csv changed while it was read" in failure_message(loaded)
        assert pipeline.scalar("SELECT count(*) FROM faturamento") == 0  # nothing of either file
