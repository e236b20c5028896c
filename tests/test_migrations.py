"""Schema migrations: an empty warehouse reaches head, one made before migrations is stamped and upgraded keeping
every row, downgrades keep them too, racing processes migrate once, an unknown schema is refused, and the models,
the migrations and `sql/` describe one schema, on PostgreSQL and SQLite."""

import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, MetaData, inspect, select
from sqlalchemy.engine import URL

from synapse_pipeline.warehouse.backup import backup, restore
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.fingerprint import table_checksum
from synapse_pipeline.warehouse.migrations.baseline import metadata as baseline
from synapse_pipeline.warehouse.models import Base
from synapse_pipeline.warehouse.schema import (
    BASELINE,
    UnknownSchema,
    downgrade_schema,
    head,
    schema_differences,
    upgrade_schema,
    warehouse_revision,
)
from tests.support import ddl_statements, describe_schema, libpq

SYNAPSE = Path(sys.executable).parent / "synapse"  # the installed script, as a user runs it


@pytest.fixture
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A warehouse with nothing in it: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
        return
    server: URL = request.getfixturevalue("pg_server")
    name = f"synapse_mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


BOTH = pytest.mark.parametrize("blank_url", ["sqlite", "postgresql"], indirect=True)


def _legacy_warehouse(url: str) -> Engine:
    """A warehouse as the code before migrations left it: the baseline schema, rows in every table, a user added
    when a report was stored (their CREATE entry names it) and one before, a delivery, a KPI table."""
    engine = make_engine(url)
    baseline.create_all(engine)
    t = baseline.tables
    with engine.begin() as conn:
        conn.execute(
            t["clientes"].insert(), [{"cod_cliente": 1, "nome": "Cliente 1"}, {"cod_cliente": 2, "nome": None}]
        )
        line = {"data": datetime(2025, 7, 3), "cod_cliente": 1, "lote": "A/1", "origem": "PRG", "produto": "Rolo",
                "cod_produto": "RZN", "SKU": "SKU_1"}  # fmt: skip
        conn.execute(t["estoque"].insert(), [{**line, "es_centro": "1101", "tipo_material": "Produto Acabado",
                     "dias_em_estoque": 40, "grupo_mercadoria": "Zincado", "es_totalestoque": 1.5}])  # fmt: skip
        conn.execute(t["faturamento"].insert(), [{**line, "zs_gr_mercad": "Zincado", "zs_centro": "1101",
                     "zs_cidade": "Joinville", "zs_uf": "SC", "zs_peso_liquido": -0.25,
                     "giro_sku_cliente": 3}])  # fmt: skip
        users = [{"username": n, "email": f"{n}@example.com", "password": "$2b$12$x"} for n in ("ana", "bruno")]
        conn.execute(t["user"].insert(), users)
        stored = datetime(2025, 8, 1, 7, 0)
        reports = [{"name": f"relatorio-mensal-2025-0{m}", "content": f"<html>{m}</html>", "created_at": stored}
                   for m in (6, 7)]  # fmt: skip
        conn.execute(t["report"].insert(), reports)
        conn.execute(t["report_email"].insert(), [{"report_id": 1, "message": "MIME 6"}])
        conn.execute(t["delivered_to"].insert(), [{"report_id": 1, "user_id": 1}])
        created = [
            {"record_id": "1", "new_values": {"email": "ana@example.com", "reports_from": None}},
            {
                "record_id": "2",
                "new_values": {"email": "bruno@example.com", "reports_from": "relatorio-mensal-2025-07"},
            },
        ]
        conn.execute(t["audit_log"].insert(), [{**e, "actor": "cli:test", "action": "CREATE", "table_name": "user"}
                                               for e in created])  # fmt: skip
        conn.exec_driver_sql("CREATE TABLE giro_sku AS SELECT 1 AS mes")
    return engine


def _rows(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every baseline table, over the baseline's columns."""
    with engine.connect() as conn:
        return {name: table_checksum(conn, table) for name, table in baseline.tables.items()}


def _new_columns(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        reports_from = dict(conn.execute(select(Base.metadata.tables["user"].c["email", "reports_from"])).all())
        report = Base.metadata.tables["report"]
        same = conn.execute(select(report.c.created_at == report.c.updated_at)).scalars().all()
    return {"reports_from": reports_from, "updated_at_is_created_at": same}


@BOTH
def test_empty_warehouse_upgrades_to_head_matching_the_models(blank_url: str) -> None:
    engine = make_engine(blank_url)
    assert upgrade_schema(engine) is True
    assert warehouse_revision(engine) == head()
    with engine.connect() as conn:
        assert schema_differences(conn, Base.metadata) == []
        assert set(inspect(conn).get_table_names()) == {*Base.metadata.tables, "alembic_version"}
    assert upgrade_schema(engine) is False  # at head: nothing applied
    engine.dispose()


@BOTH
def test_existing_warehouse_is_stamped_and_upgraded_keeping_every_row(blank_url: str) -> None:
    engine = _legacy_warehouse(blank_url)
    before = _rows(engine)
    assert warehouse_revision(engine) is None
    assert before["user"][0] == 2 and before["report"][0] == 2 and before["audit_log"][0] == 2

    assert upgrade_schema(engine) is True
    assert warehouse_revision(engine) == head()
    assert _rows(engine) == before
    filled = {
        "reports_from": {"ana@example.com": None, "bruno@example.com": "relatorio-mensal-2025-07"},
        "updated_at_is_created_at": [True, True],
    }
    assert _new_columns(engine) == filled
    with engine.connect() as conn:
        assert schema_differences(conn, Base.metadata) == []
        assert conn.exec_driver_sql("SELECT count(*) FROM giro_sku").scalar_one() == 1  # the pipeline's, untouched

    downgrade_schema(engine, BASELINE)
    assert warehouse_revision(engine) == BASELINE
    assert _rows(engine) == before
    with engine.connect() as conn:
        assert schema_differences(conn, baseline) == []

    assert upgrade_schema(engine) is True
    assert _rows(engine) == before
    assert _new_columns(engine) == filled
    engine.dispose()


@BOTH
@pytest.mark.parametrize(
    ("change", "named"),
    [
        ('ALTER TABLE "user" ADD COLUMN nickname VARCHAR(20)', "unexpected column user.nickname"),
        ("DROP TABLE report_email", "table report_email is missing"),
    ],
)
def test_unknown_schema_is_refused_naming_the_difference(blank_url: str, change: str, named: str) -> None:
    engine = _legacy_warehouse(blank_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(change)
    before = describe_schema(engine)
    with pytest.raises(UnknownSchema, match=re.escape(named)):
        upgrade_schema(engine)
    assert describe_schema(engine) == before  # left as it was
    assert warehouse_revision(engine) is None
    engine.dispose()


@pytest.mark.parametrize("blank_url", ["postgresql"], indirect=True)
def test_a_dump_made_before_migrations_restores_into_a_warehouse_at_head(
    blank_url: str, second_blank_url: str, tmp_path: Path
) -> None:
    """`synapse restore` of an old backup: its tables replace the target's, and the target's revision goes with
    them, so the next use stamps the restored schema and upgrades it."""
    old = _legacy_warehouse(blank_url)
    before = _rows(old)
    old.dispose()
    dump = backup(blank_url, tmp_path, keep=1)
    target = make_engine(second_blank_url)
    upgrade_schema(target)
    restore(dump, second_blank_url)
    assert warehouse_revision(target) is None
    assert upgrade_schema(target) is True
    assert warehouse_revision(target) == head()
    assert _rows(target) == before
    target.dispose()


def _migrate(url: str, start: threading.Barrier) -> bool:
    engine = make_engine(url)
    start.wait()
    try:
        return upgrade_schema(engine)
    finally:
        engine.dispose()


def _versions(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        versions = list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    engine.dispose()
    return versions


@BOTH
def test_two_migrations_at_once_apply_once_and_end_at_head(blank_url: str) -> None:
    """Two runs starting on a fresh warehouse at the same moment, each with its own engine."""
    start = threading.Barrier(2)
    results: list[bool | Exception] = []

    def migrate() -> None:
        try:
            results.append(_migrate(blank_url, start))
        except Exception as error:  # kept, so that a lost race says why
            results.append(error)

    threads = [threading.Thread(target=migrate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [False, True], results
    assert _versions(blank_url) == [head()]


@pytest.mark.slow  # four real processes racing: out of the fast lane
@BOTH
def test_processes_migrating_a_legacy_warehouse_at_once_stamp_and_upgrade_once(blank_url: str) -> None:
    """Parallel steps (multiprocess or Celery executors) each set up the warehouse; only one migrates it."""
    _legacy_warehouse(blank_url).dispose()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(4) as pool:
        start = manager.Barrier(4)
        results = pool.starmap(_migrate, [(blank_url, start)] * 4)
    assert sorted(results) == [False, False, False, True]
    assert _versions(blank_url) == [head()]


def _synapse(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYNAPSE_DATABASE_URL": url}
    return subprocess.run([str(SYNAPSE), "db", *args], env=env, capture_output=True, text=True, timeout=120)


@BOTH
def test_db_commands_through_the_cli(blank_url: str) -> None:
    _legacy_warehouse(blank_url).dispose()
    assert _synapse(blank_url, "current").stdout == "none\n"
    upgraded = _synapse(blank_url, "upgrade", "0002")
    assert (upgraded.returncode, upgraded.stdout) == (0, "warehouse at 0002\n"), upgraded.stderr
    history = _synapse(blank_url, "history").stdout.splitlines()
    assert history[0].startswith(f"0002 -> {head()} (head), ")
    assert history[1].startswith("0001 -> 0002 (current), report.updated_at")
    assert history[-1].startswith("<base> -> 0001, Baseline")
    assert _synapse(blank_url, "upgrade").stdout == f"warehouse at {head()} (head)\n"
    assert _synapse(blank_url, "current").stdout == f"{head()} (head)\n"
    assert _synapse(blank_url, "downgrade", BASELINE).stdout == f"warehouse at {BASELINE}\n"
    assert _synapse(blank_url, "current").stdout == f"{BASELINE}\n"
    engine = make_engine(blank_url)
    assert _rows(engine)["report"][0] == 2
    engine.dispose()


@pytest.mark.parametrize("blank_url", ["sqlite"], indirect=True)
def test_cli_refuses_an_unknown_schema_in_one_sentence(blank_url: str) -> None:
    engine = _legacy_warehouse(blank_url)
    with engine.begin() as conn:
        conn.exec_driver_sql('ALTER TABLE "user" ADD COLUMN nickname VARCHAR(20)')
    engine.dispose()
    refused = _synapse(blank_url, "upgrade")
    assert refused.returncode == 1
    assert refused.stderr.startswith("synapse: the warehouse has no schema revision and its schema is not revision")
    assert "unexpected column user.nickname" in refused.stderr and len(refused.stderr.splitlines()) == 1


def _schema_dump(url: str) -> list[str]:
    """`pg_dump --schema-only`, without comments, settings, psql meta-commands (`\\restrict KEY`) and Alembic's own
    table: what the schema is."""
    dump = subprocess.run(["pg_dump", "--schema-only", "--no-owner", libpq(url)], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    statements = [s.strip() for s in re.sub(r"^(--|\\).*$", "", dump, flags=re.M).split(";")]
    return sorted(s for s in statements if s and not s.startswith(("SET ", "SELECT ")) and "alembic_version" not in s)


@pytest.fixture
def second_blank_url(pg_server: URL) -> Iterator[str]:
    name = f"synapse_sql_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.parametrize("blank_url", ["postgresql"], indirect=True)
def test_sql_ddl_is_what_the_migrations_make(blank_url: str, second_blank_url: str) -> None:
    """`sql/` applied to one database, the migrations to another: the same pg_dump, the same reflected schema."""
    migrated = make_engine(blank_url)
    upgrade_schema(migrated)
    from_sql = make_engine(second_blank_url)
    with from_sql.begin() as conn:
        for statement in ddl_statements():
            conn.exec_driver_sql(statement)
    assert _schema_dump(second_blank_url) == _schema_dump(blank_url)
    described = describe_schema(migrated)
    del described["alembic_version"]
    assert describe_schema(from_sql) == described
    reflected = MetaData()
    reflected.reflect(from_sql)
    with migrated.connect() as conn:
        assert schema_differences(conn, reflected) == []
    migrated.dispose()
    from_sql.dispose()


def test_revision_docs_are_one_line_titles() -> None:
    """`synapse db history` shows each revision's first line: a title, then its details."""
    from synapse_pipeline.warehouse.schema import history

    assert [script.revision for script in history()] == ["0003", "0002", "0001"]
    assert all("\n" not in script.doc for script in history()), json.dumps([s.doc for s in history()])
