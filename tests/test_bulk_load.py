"""The bulk way of loading faturamento on PostgreSQL: indexes and constraints dropped, then built again."""

import pytest
from sqlalchemy.exc import IntegrityError

from synapse_pipeline.ingest.loads import BULK_METHOD, ROW_METHODS
from tests.support import Pipeline, failure_message

pytestmark = pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
FATURAMENTO_LINES = 17_343
CATALOG = """
    SELECT 'index', pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'faturamento'::regclass
    UNION ALL
    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'faturamento'::regclass
    ORDER BY 1, 2
"""


def _load_method(pipeline: Pipeline, **months: object) -> str:
    result = pipeline.materialize(["faturamento"], **months)
    assert result.success, failure_message(result)
    (method,) = {m.metadata["load_method"].value for m in result.asset_materializations_for_node("faturamento")}
    return method


def test_a_whole_load_goes_bulk_and_leaves_every_index_and_constraint_as_defined(pipeline: Pipeline) -> None:
    defined = pipeline.rows(CATALOG)
    assert len(defined) == 5  # primary key, foreign key, the two indexes of sql/, and the key's own index
    assert pipeline.materialize(["estoque_raw", "faturamento_raw", "clientes"]).success

    assert _load_method(pipeline, months=("2024-01-01", "2025-08-01")) == BULK_METHOD

    assert pipeline.rows(CATALOG) == defined
    assert pipeline.scalar("SELECT count(*) FROM faturamento") == FATURAMENTO_LINES
    assert pipeline.scalar("SELECT reltuples FROM pg_class WHERE oid = 'faturamento'::regclass") == FATURAMENTO_LINES
    engine = pipeline.engine()
    with pytest.raises(IntegrityError, match="faturamento_cod_cliente_fkey"), engine.begin() as conn:
        conn.exec_driver_sql("UPDATE faturamento SET cod_cliente = -1 WHERE id = (SELECT min(id) FROM faturamento)")
    engine.dispose()
    # One month of a full table is a small share: it goes into the indexes row by row.
    assert _load_method(pipeline, partition="2024-03-01") == ROW_METHODS["postgresql"]
    assert pipeline.scalar("SELECT count(*) FROM faturamento") == FATURAMENTO_LINES


def test_a_bulk_load_of_some_months_keeps_the_others(pipeline: Pipeline) -> None:
    pipeline.load_all()
    outside = "SELECT id, data FROM faturamento WHERE data < '2024-06-01' OR data >= '2025-02-01' ORDER BY id"
    kept = pipeline.rows(outside)
    in_window = "SELECT count(*) FROM faturamento WHERE data >= '2024-06-01' AND data < '2025-02-01'"
    loaded = pipeline.scalar(in_window)
    assert 0.25 * FATURAMENTO_LINES < loaded < FATURAMENTO_LINES

    assert _load_method(pipeline, months=("2024-06-01", "2025-01-01")) == BULK_METHOD

    assert pipeline.rows(outside) == kept
    assert pipeline.scalar(in_window) == loaded
    assert pipeline.scalar("SELECT count(*) FROM faturamento") == FATURAMENTO_LINES


def test_a_failed_bulk_load_leaves_rows_indexes_and_constraints_as_they_were(pipeline: Pipeline) -> None:
    pipeline.load_all()
    defined, before = pipeline.rows(CATALOG), pipeline.checksums()
    path = pipeline.data_dir / "faturamento 1.csv"
    header, first, *rest = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = first.split("|")
    fields[1] = "999999"  # a client clientes has not seen: only the rebuilt foreign key can refuse it
    path.write_text(header + "|".join(fields) + "".join(rest), encoding="utf-8")
    assert pipeline.materialize(["faturamento_raw"]).success

    result = pipeline.materialize(["faturamento"], months=("2024-01-01", "2025-08-01"))

    assert not result.success
    message = failure_message(result)
    assert "load rolled back" in message and "faturamento_cod_cliente_fkey" in message and "999999" in message
    assert pipeline.rows(CATALOG) == defined
    assert pipeline.checksums() == before
