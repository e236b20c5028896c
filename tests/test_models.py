"""The SQLAlchemy models and `sql/` describe the same schema, and bringing a warehouse to it is idempotent."""

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.models import Base, Estoque
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import ddl_statements, describe_schema


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

    from_sql = describe_schema(pg_engine, "from_sql")
    from_models = describe_schema(pg_engine, "from_models")
    assert set(from_sql) == {
        "user", "report", "report_email", "delivered_to", "clientes", "estoque", "faturamento", "audit_log",
    }  # fmt: skip
    for table in from_sql:
        assert from_sql[table] == from_models[table], table
    assert ("report_id", "user_id") in from_sql["delivered_to"]["unique"]
    assert from_sql["estoque"]["columns"]["SKU"] == ("VARCHAR", 50, False, False, False)


def test_schema_creation_is_idempotent(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    upgrade_schema(engine)
    upgrade_schema(engine)
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    engine.dispose()


def test_foreign_keys_hold(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    upgrade_schema(engine)
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
