"""The SQLAlchemy models and `sql/` describe the same schema, and creating it is idempotent."""

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from synapse_pipeline.warehouse.database import create_schema, ddl_statements, make_engine
from synapse_pipeline.warehouse.models import Base, Estoque


def _describe(engine: Engine, schema: str) -> dict[str, object]:
    """Everything that matters of a schema, normalised so two creations of it can be compared."""
    inspector = inspect(engine)
    described: dict[str, object] = {}
    for table in sorted(inspector.get_table_names(schema=schema)):
        columns = {
            c["name"]: (
                type(c["type"]).__name__,
                getattr(c["type"], "length", None),
                c["nullable"],
                "nextval" in str(c.get("default") or ""),
                c.get("default") is not None,
            )
            for c in inspector.get_columns(table, schema=schema)
        }
        foreign_keys = sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in inspector.get_foreign_keys(table, schema=schema)
        )
        uniques = sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table, schema=schema))
        indexes = sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]), str(i.get("dialect_options", {})))
            for i in inspector.get_indexes(table, schema=schema)
        )
        described[table] = {
            "columns": columns,
            "primary_key": inspector.get_pk_constraint(table, schema=schema)["constrained_columns"],
            "foreign_keys": foreign_keys,
            "unique": uniques,
            "indexes": indexes,
        }
    return described


@pytest.fixture
def pg_engine(pg_database: URL) -> Iterator[Engine]:
    engine = make_engine(pg_database)
    with engine.begin() as conn:
        for schema in ("from_sql", "from_models"):
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield engine
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA from_sql CASCADE")
        conn.exec_driver_sql("DROP SCHEMA from_models CASCADE")
    engine.dispose()


def test_models_agree_with_sql_ddl(pg_engine: Engine) -> None:
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL search_path TO from_sql")
        for statement in ddl_statements():
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("SET LOCAL search_path TO from_models")
        Base.metadata.create_all(conn)

    from_sql = _describe(pg_engine, "from_sql")
    from_models = _describe(pg_engine, "from_models")
    assert set(from_sql) == {
        "user", "report", "report_email", "delivered_to", "clientes", "estoque", "faturamento", "audit_log",
    }  # fmt: skip
    for table in from_sql:
        assert from_sql[table] == from_models[table], table
    assert ("report_id", "user_id") in from_sql["delivered_to"]["unique"]
    assert from_sql["estoque"]["columns"]["SKU"] == ("VARCHAR", 50, False, False, False)


def test_schema_creation_is_idempotent(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    create_schema(engine)
    create_schema(engine)
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    engine.dispose()


def test_foreign_keys_hold(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    create_schema(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            Estoque.__table__.insert(),
            [
                {
                    "data": datetime(2025, 8, 4),
                    "cod_cliente": 424242,
                    "es_centro": "1101",
                    "tipo_material": "Produto Acabado",
                    "origem": "PRG",
                    "cod_produto": "RZN",
                    "lote": "A/1",
                    "dias_em_estoque": 1,
                    "produto": "Rolo",
                    "grupo_mercadoria": "Zincado",
                    "es_totalestoque": 1.0,
                    "SKU": "SKU_1",
                }
            ],
        )
    engine.dispose()


def _create(url: str, start: "threading.Barrier") -> list[str]:
    engine = make_engine(url)
    start.wait()
    create_schema(engine)
    engine.dispose()
    return sorted(inspect(make_engine(url)).get_table_names())


@pytest.mark.slow  # four real processes racing: out of the fast lane
def test_processes_creating_a_fresh_sqlite_schema_at_once_all_succeed(tmp_path: Path) -> None:
    """Parallel steps (multiprocess or Celery executors) each set up the warehouse on a fresh file."""
    context = multiprocessing.get_context("spawn")
    for attempt in range(3):
        url = f"sqlite:///{tmp_path / f'fresh-{attempt}.db'}"
        with context.Manager() as manager, context.Pool(4) as pool:
            start = manager.Barrier(4)
            results = pool.starmap(_create, [(url, start)] * 4)
        assert all(tables == sorted(Base.metadata.tables) for tables in results)
