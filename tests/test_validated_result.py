"""The validated result: each export is read and validated once, by its raw asset; the loads read what it kept."""

from pathlib import Path

import dagster as dg

from synapse_pipeline.ingest.raw import VALIDATED_RESULT_KEY, billed_months
from synapse_pipeline.ingest.result import results_folder
from tests.support import Pipeline, failure_message

ESTOQUE = "estoque 1.csv"
FATURAMENTO = "faturamento 1.csv"
FATURAMENTO_LINES = 17_343


def _result_of(result: dg.ExecuteInProcessResult, asset: str) -> Path:
    (materialization,) = result.asset_materializations_for_node(asset)
    return Path(materialization.metadata[VALIDATED_RESULT_KEY].value)


def _every_month(pipeline: Pipeline) -> tuple[str, str]:
    months = billed_months(pipeline.instance)
    return months[0], months[-1]


def test_the_load_refuses_an_export_changed_after_validation(pipeline: Pipeline) -> None:
    """An export overwritten with other bytes after its validation is refused by the loads, which write nothing;
    the validated bytes put back load again: the hash names the content, whatever the file's timestamps."""
    assert pipeline.materialize(["estoque_raw", "faturamento_raw"]).success
    exports = {name: (pipeline.data_dir / name).read_bytes() for name in (ESTOQUE, FATURAMENTO)}
    for name, original in exports.items():  # still valid: its last line once more
        (pipeline.data_dir / name).write_bytes(original + original.splitlines(keepends=True)[-1])
    assert pipeline.materialize(["clientes"]).success

    refused = pipeline.materialize(["estoque"])
    assert "estoque 1.csv changed since estoque_raw validated it" in failure_message(refused)
    refused = pipeline.materialize(["faturamento"], months=_every_month(pipeline))
    assert "faturamento 1.csv changed since faturamento_raw validated it" in failure_message(refused)
    assert pipeline.rows("SELECT (SELECT count(*) FROM estoque), (SELECT count(*) FROM faturamento)") == [(0, 0)]

    for name, original in exports.items():
        (pipeline.data_dir / name).write_bytes(original)
    assert pipeline.materialize(["estoque"]).success
    assert pipeline.materialize(["faturamento"], months=_every_month(pipeline)).success
    assert pipeline.scalar("SELECT count(*) FROM faturamento") == FATURAMENTO_LINES


def test_the_loads_read_the_validated_result_not_the_text(pipeline: Pipeline, tmp_path: Path) -> None:
    """Exports moved away once validated (archived, as an ERP's drop folder is often emptied) still load, the same
    rows as when they stay: the loads read the validated result, never the text. A moved export is no other version
    of it, so nothing is refused; the loads record that it was not there. Without its validated result, a load
    fails and says to validate again."""
    validated = pipeline.materialize(["estoque_raw", "faturamento_raw"])
    assert validated.success
    archive = tmp_path / "archive"
    archive.mkdir()
    for name in (ESTOQUE, FATURAMENTO):
        (pipeline.data_dir / name).rename(archive / name)

    assert pipeline.materialize(["clientes", "estoque"]).success
    loaded = pipeline.materialize(["faturamento"], months=_every_month(pipeline))
    assert loaded.success
    assert {m.metadata["export_present"].value for m in loaded.asset_materializations_for_node("faturamento")} == {
        False
    }
    from_result = pipeline.checksums()
    assert from_result["faturamento"][0] == FATURAMENTO_LINES

    for name in (ESTOQUE, FATURAMENTO):
        (archive / name).rename(pipeline.data_dir / name)
    pipeline.load_all()
    assert pipeline.checksums() == from_result

    _result_of(validated, "faturamento_raw").unlink()
    assert pipeline.materialize(["faturamento_raw"]).success  # the same bytes: the result is written again
    _result_of(validated, "faturamento_raw").unlink()
    gone = pipeline.materialize(["faturamento"], months=_every_month(pipeline))
    assert "is gone; materialize the raw asset again" in failure_message(gone)


def test_a_validation_keeps_only_the_result_its_materialization_points_to(data_dir: Path, tmp_path: Path) -> None:
    """A new version of an export, validated, replaces the previous version's result: the state folder holds one
    result per export, the one the latest materialization points to, readable by its owner only."""
    with dg.instance_for_test() as instance:
        pipeline = Pipeline(f"sqlite:///{tmp_path / 'warehouse.db'}", data_dir, tmp_path / "storage", instance)
        first = pipeline.materialize(["estoque_raw", "faturamento_raw"])
        assert first.success
        export = data_dir / FATURAMENTO
        export.write_bytes(export.read_bytes().replace(b"|SP|", b"|PR|", 1))
        second = pipeline.materialize(["faturamento_raw"])
        assert second.success

        folder = results_folder(instance)
        kept = {_result_of(first, "estoque_raw"), _result_of(second, "faturamento_raw")}
        assert set(folder.iterdir()) == kept
        assert _result_of(first, "faturamento_raw") not in kept
        assert {path.stat().st_mode & 0o777 for path in kept} == {0o600}
