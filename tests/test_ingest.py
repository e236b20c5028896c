"""Loading the sample exports end to end through Dagster, on SQLite and on PostgreSQL."""

import re
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from synapse_pipeline.cli.launch import LatestMessage
from synapse_pipeline.ingest.checks import DUPLICATE_LINES_CHECK, RETURNS_CHECK, SCHEMA_CHECK
from synapse_pipeline.ingest.loads import PROGRESS_PREFIX, ROW_METHODS
from synapse_pipeline.ingest.raw import faturamento_raw
from tests.support import Pipeline

ESTOQUE_LINES = 1_471
FATURAMENTO_LINES = 17_343


def _file_column(path: Path, column: int) -> list[str]:
    return [line.split("|")[column] for line in path.read_text(encoding="utf-8").splitlines()[1:]]


def test_sample_loads_completely(pipeline: Pipeline) -> None:
    pipeline.load_all()

    assert pipeline.scalar("SELECT count(*) FROM estoque") == ESTOQUE_LINES
    assert pipeline.scalar("SELECT count(*) FROM faturamento") == FATURAMENTO_LINES
    codes = {int(c) for c in _file_column(pipeline.data_dir / "estoque 1.csv", 1)}
    codes |= {int(c) for c in _file_column(pipeline.data_dir / "faturamento 1.csv", 1)}
    assert pipeline.scalar("SELECT count(*) FROM clientes") == len(codes)
    for number, code in enumerate(sorted(codes), start=1):
        assert pipeline.scalar("SELECT nome FROM clientes WHERE cod_cliente = :c", c=code) == f"Cliente {number}"
    # Returns are loaded as they are: the net total equals the file's.
    weights = [float(w) for w in _file_column(pipeline.data_dir / "faturamento 1.csv", 10)]
    total = float(pipeline.scalar("SELECT sum(zs_peso_liquido) FROM faturamento"))
    assert total == pytest.approx(sum(weights), abs=1e-6)
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE zs_peso_liquido < 0") == sum(w < 0 for w in weights)
    # Cleaning: padded codes trimmed, double-encoded groups repaired, one spelling per product form.
    assert pipeline.scalar("SELECT count(*) FROM estoque WHERE origem LIKE '% '") == 0
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE zs_gr_mercad = 'PRÉ-PINTADO GALVALUME'") > 0
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE zs_gr_mercad LIKE '%Ã%'") == 0
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE produto = 'rolo'") == 0


def test_raw_assets_report_profile_cleaning_and_warnings(pipeline: Pipeline) -> None:
    result = pipeline.materialize(["estoque_raw", "faturamento_raw"])
    assert result.success

    metadata = {m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("faturamento_raw")}[
        "faturamento_raw"
    ]
    assert metadata["data_lines"].value == FATURAMENTO_LINES
    assert metadata["dagster/row_count"].value == FATURAMENTO_LINES
    assert metadata["encoding"].value == "utf-8"
    assert len(metadata["sha256"].value) == 64
    cleaning = {r.data["rule"]: r.data["values_changed"] for r in metadata["cleaning"].records}
    assert cleaning["encoding_repaired"] > 0 and cleaning["product_spelling"] > 0
    # a narrow table (rule, count): what each rule does is in the asset's description, which the UI wraps
    assert [c.name for c in metadata["cleaning"].schema.columns] == ["rule", "values_changed"]
    described = faturamento_raw.descriptions_by_key[faturamento_raw.key]
    assert all(f"- `{rule}`: " in described for rule in cleaning) and len(cleaning) == 3

    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    assert checks[("faturamento_raw", SCHEMA_CHECK)].passed
    assert checks[("estoque_raw", SCHEMA_CHECK)].passed
    # The profile's normal counts: shown, and passed (a newcomer must not read them as failures).
    duplicates = checks[("faturamento_raw", DUPLICATE_LINES_CHECK)]
    assert duplicates.passed and duplicates.severity == dg.AssetCheckSeverity.WARN
    assert duplicates.metadata["duplicate_lines"].value == 50
    assert checks[("estoque_raw", DUPLICATE_LINES_CHECK)].metadata["duplicate_lines"].value == 14
    returns = checks[("faturamento_raw", RETURNS_CHECK)]
    assert returns.passed and returns.severity == dg.AssetCheckSeverity.WARN
    assert returns.metadata["negative_weights"].value > 0 and returns.metadata["zero_weights"].value > 0
    # Each check result belongs to the materialization of its own run, not the one before.
    assert {c.target_materialization_data.run_id for c in checks.values()} == {result.run_id}


def test_unusually_many_duplicates_warn(pipeline: Pipeline) -> None:
    export = pipeline.data_dir / "faturamento 1.csv"
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    export.write_text("".join(lines + lines[1:401]), encoding="utf-8")  # 400 more: 2.5% of the lines
    result = pipeline.materialize(["faturamento_raw"])
    assert result.success  # a warning, never a failure
    (duplicates,) = [c for c in result.get_asset_check_evaluations() if c.check_name == DUPLICATE_LINES_CHECK]
    assert not duplicates.passed and duplicates.severity == dg.AssetCheckSeverity.WARN
    assert duplicates.metadata["duplicate_lines"].value == 450


def test_loading_twice_changes_nothing(pipeline: Pipeline) -> None:
    pipeline.load_all()
    first = pipeline.checksums()
    pipeline.load_all()
    assert pipeline.checksums() == first
    assert first["faturamento"][0] == FATURAMENTO_LINES


def test_one_partition_replaces_only_its_month(pipeline: Pipeline) -> None:
    pipeline.load_all()
    march = pipeline.scalar("SELECT count(*) FROM faturamento WHERE data >= '2024-03-01' AND data < '2024-04-01'")
    april = pipeline.scalar("SELECT count(*) FROM faturamento WHERE data >= '2024-04-01' AND data < '2024-05-01'")
    engine = pipeline.engine()
    with engine.begin() as conn:
        for day in ("2024-03-15", "2024-04-15"):
            conn.exec_driver_sql(
                "INSERT INTO faturamento (data, cod_cliente, lote, origem, zs_gr_mercad, produto, cod_produto, "
                'zs_centro, zs_cidade, zs_uf, zs_peso_liquido, giro_sku_cliente, "SKU") '
                f"SELECT '{day}', cod_cliente, 'X', 'X', 'X', 'X', 'X', 'X', 'X', 'SP', 1, 1, 'X' FROM clientes LIMIT 1"
            )
    engine.dispose()

    assert pipeline.materialize(["faturamento"], partition="2024-03-01").success

    assert (
        pipeline.scalar("SELECT count(*) FROM faturamento WHERE data >= '2024-03-01' AND data < '2024-04-01'") == march
    )
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE data >= '2024-04-01' AND data < '2024-05-01'") == (
        april + 1
    )


def test_estoque_snapshots_accumulate_and_clientes_names_are_stable(pipeline: Pipeline) -> None:
    pipeline.load_all()
    path = pipeline.data_dir / "estoque 1.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # A later snapshot with a client never seen before.
    later = [lines[0]] + ["2025-09-01|" + "|".join(["99999", *line.split("|")[2:]]) for line in lines[1:11]]
    path.write_text("\n".join(later) + "\n", encoding="utf-8")
    names_before = dict(pipeline.rows("SELECT cod_cliente, nome FROM clientes"))

    assert pipeline.materialize(["estoque_raw", "faturamento_raw", "clientes", "estoque"]).success

    assert (
        pipeline.scalar("SELECT count(*) FROM estoque WHERE data >= '2025-08-04' AND data < '2025-08-05'")
        == ESTOQUE_LINES
    )
    assert pipeline.scalar("SELECT count(*) FROM estoque WHERE data >= '2025-09-01'") == 10
    names_after = dict(pipeline.rows("SELECT cod_cliente, nome FROM clientes"))
    assert {c: n for c, n in names_after.items() if c in names_before} == names_before
    assert names_after[99999] == f"Cliente {len(names_before) + 1}"


def test_each_month_shows_its_own_rows_and_the_table_its_total(pipeline: Pipeline) -> None:
    """After a range run and after a one-month run: `dagster/partition_row_count` is the month's lines,
    `dagster/row_count` the table's; the raw asset names the export it validated."""
    raw = pipeline.materialize(["estoque_raw", "faturamento_raw", "clientes"])
    assert raw.success
    (export,) = [m.metadata for m in raw.asset_materializations_for_node("faturamento_raw")]
    assert export["export_path"].value == str(pipeline.data_dir / "faturamento 1.csv")
    lines = Counter(day[:7] for day in _file_column(pipeline.data_dir / "faturamento 1.csv", 0))

    def recorded(result: dg.ExecuteInProcessResult) -> dict[str, tuple[int, int]]:
        return {
            m.partition[:7]: (m.metadata["dagster/partition_row_count"].value, m.metadata["dagster/row_count"].value)
            for m in result.asset_materializations_for_node("faturamento")
        }

    loaded = pipeline.materialize(["faturamento"], months=("2024-01-01", "2025-08-01"))
    whole = recorded(loaded)
    assert whole == {month: (count, FATURAMENTO_LINES) for month, count in lines.items()}
    progress = [
        e.user_message for e in pipeline.instance.all_logs(loaded.run_id) if e.user_message.startswith(PROGRESS_PREFIX)
    ]
    assert progress and progress[-1] == f"{PROGRESS_PREFIX}{FATURAMENTO_LINES:,} of {FATURAMENTO_LINES:,} lines written"
    watched = LatestMessage(pipeline.instance, PROGRESS_PREFIX)  # what `synapse run` shows on a terminal
    assert watched(loaded.run_id) == f"{FATURAMENTO_LINES:,} of {FATURAMENTO_LINES:,} lines written"
    read_up_to = watched.cursor
    assert watched(loaded.run_id) == progress[-1].removeprefix(PROGRESS_PREFIX) and watched.cursor == read_up_to
    for materialization in loaded.asset_materializations_for_node("faturamento"):  # each month's own first rows
        shown = re.findall(r"(\d{4})\\-(\d{2})\\-\d{2}", materialization.metadata["preview"].value)
        assert shown and {f"{y}-{m}" for y, m in shown} == {materialization.partition[:7]}
    one = recorded(pipeline.materialize(["faturamento"], partition="2024-03-01"))
    assert one == {"2024-03": (lines["2024-03"], FATURAMENTO_LINES)}
    assert len(set(lines.values())) > 1  # the months differ: a shared figure would not pass
    dialect = pipeline.engine().dialect.name
    result = pipeline.materialize(["faturamento"], partition="2024-04-01")
    (method,) = {m.metadata["load_method"].value for m in result.asset_materializations_for_node("faturamento")}
    assert method == ROW_METHODS[dialect]
