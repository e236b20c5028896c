"""Backup and restore of the warehouse, on SQLite and PostgreSQL: a restore into a fresh database gives back every
table, row for row; retention keeps the newest backups; failures say what went wrong and never show a password."""

import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import make_url
from sqlalchemy.engine import URL

from synapse_pipeline.cli.main import synapse
from synapse_pipeline.delivery.users import add_user
from synapse_pipeline.forecast.resources import ForecastSettings
from synapse_pipeline.forecast.tables import DERIVED_TABLES
from synapse_pipeline.ingest.resources import ExportFiles
from synapse_pipeline.lib.markdown import escape
from synapse_pipeline.maintenance.backup import (
    KEPT_KEY,
    KIND_KEY,
    PATH_KEY,
    ROWS_KEY,
    SIZE_KEY,
    WAREHOUSE_KEY,
    BackupSettings,
)
from synapse_pipeline.maintenance.backup import backup as backup_asset
from synapse_pipeline.settings import DATABASE_URL_ENV
from synapse_pipeline.warehouse.backup import BackupError, backup, backups, restore
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.fingerprint import warehouse_checksums
from synapse_pipeline.warehouse.resource import Warehouse
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import ASSETS, UNPARTITIONED, Pipeline, libpq

PASSWORD = "s3cret"


@pytest.fixture
def fresh_database(pg_server: URL) -> Iterator[Callable[[], str]]:
    """Makes new, empty PostgreSQL databases (no schema) for a test; drops them afterwards."""
    names: list[str] = []

    def create() -> str:
        names.append(f"synapse_restore_{uuid.uuid4().hex[:12]}")
        with psycopg.connect(libpq(pg_server), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{names[-1]}"')
        return pg_server.set(database=names[-1]).render_as_string(hide_password=False)

    yield create
    with psycopg.connect(libpq(pg_server), autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_url(warehouse_url: str, fresh_database: Callable[[], str], tmp_path: Path) -> str:
    """An empty target of the same kind as `warehouse_url`: a new PostgreSQL database or a new SQLite file."""
    if make_url(warehouse_url).get_backend_name() == "postgresql":
        return fresh_database()
    return f"sqlite:///{tmp_path / 'restored' / 'warehouse.db'}"


def _checksums(url: str) -> dict[str, tuple[int, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return warehouse_checksums(conn, DERIVED_TABLES)
    finally:
        engine.dispose()


def _synapse_restore(configured_url: str, *argv: str) -> Result:
    """`synapse restore ...` with `configured_url` as the configured warehouse."""
    env = {DATABASE_URL_ENV: configured_url}
    return CliRunner().invoke(synapse, ["restore", *argv], env=env, catch_exceptions=False)


def _materialize_backup(pipeline: Pipeline, directory: Path, keep: int = 7) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [backup_asset],
        resources={
            "warehouse": Warehouse(url=pipeline.warehouse_url),
            "backup_settings": BackupSettings(directory=str(directory), keep=keep),
        },
        instance=pipeline.instance,
    )


def _schema_only(url: str) -> str:
    engine = make_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    return url


def test_backup_runs_after_every_month_of_the_loads_and_reports(tmp_path: Path) -> None:
    resources = {
        "warehouse": Warehouse(url=f"sqlite:///{tmp_path / 'warehouse.db'}"),
        "export_files": ExportFiles(data_dir=str(tmp_path)),
        "backup_settings": BackupSettings(directory=str(tmp_path / "backups")),
        "forecast_settings": ForecastSettings(),
    }
    defs = dg.Definitions(assets=ASSETS, resources=resources)
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    key = dg.AssetKey("backup")
    parents = {parent.to_user_string() for parent in graph.get(key).parent_keys}
    assert parents == {"clientes", "estoque", "faturamento", *DERIVED_TABLES, "relatorio_mensal"}
    for partitioned in ("faturamento", "relatorio_mensal"):
        assert isinstance(graph.get_partition_mapping(key, dg.AssetKey(partitioned)), dg.AllPartitionMapping)


def test_backup_restores_every_table_into_a_fresh_database(pipeline: Pipeline, fresh_url: str, tmp_path: Path) -> None:
    pipeline.load_all_and_kpis()
    assert pipeline.materialize(["relatorio_mensal"], partition="2025-07-01").success
    engine = pipeline.engine()
    with engine.begin() as conn:
        add_user(conn, username="ana", email="ana@example.com", password="correct horse")
    engine.dispose()
    source = _checksums(pipeline.warehouse_url)
    empty = {table for table, (rows, _) in source.items() if not rows}
    assert set(DERIVED_TABLES) <= set(source) and empty == {"delivered_to"}, source

    result = _materialize_backup(pipeline, tmp_path / "backups")
    assert result.success
    metadata = result.asset_materializations_for_node("backup")[0].metadata
    path = Path(metadata[PATH_KEY].value)
    postgres = make_url(pipeline.warehouse_url).get_backend_name() == "postgresql"
    assert path.parent == tmp_path / "backups" and path.suffix == (".dump" if postgres else ".sqlite")
    assert metadata[KIND_KEY].value == ("pg_dump custom" if postgres else "sqlite")
    assert metadata[SIZE_KEY].value == path.stat().st_size > 0
    assert metadata[ROWS_KEY].value == sum(rows for rows, _ in source.values())
    assert metadata[KEPT_KEY].value == f"- {escape(path.name)}"
    assert metadata[WAREHOUSE_KEY].value == make_url(pipeline.warehouse_url).render_as_string(hide_password=True)
    assert list(path.parent.iterdir()) == [path], "no temporary file is left behind"

    # `synapse restore FILE` into the configured warehouse: a fresh, empty database.
    result = _synapse_restore(fresh_url, str(path))
    assert result.exit_code == 0
    assert _checksums(fresh_url) == source
    out = result.stdout
    assert f"restored {path}" in out and "faturamento" in out and "obsolescencia" in out

    # A second restore over the restored data replaces it (--clean), and the warehouse still takes new loads.
    restore(path, fresh_url)
    assert _checksums(fresh_url) == source
    restored = Pipeline(fresh_url, pipeline.data_dir, tmp_path / "storage-restored", pipeline.instance)
    assert restored.materialize(UNPARTITIONED).success
    assert restored.materialize(list(DERIVED_TABLES)).success
    assert _checksums(fresh_url) == source


def test_restore_rolls_a_damaged_warehouse_back(pipeline: Pipeline, tmp_path: Path) -> None:
    pipeline.load_all_and_kpis()
    source = _checksums(pipeline.warehouse_url)
    assert _materialize_backup(pipeline, tmp_path).success
    (path,) = tmp_path.glob("synapse-*")
    engine = pipeline.engine()
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM faturamento WHERE data >= '2025-01-01'")
        conn.exec_driver_sql("DROP TABLE giro_sku")
    engine.dispose()
    assert _checksums(pipeline.warehouse_url) != source

    assert _synapse_restore("sqlite:///nowhere.db", str(path), "--to", pipeline.warehouse_url).exit_code == 0
    assert _checksums(pipeline.warehouse_url) == source


def test_retention_keeps_the_newest_backups(warehouse_url: str, tmp_path: Path) -> None:
    _schema_only(warehouse_url)
    suffix = ".dump" if make_url(warehouse_url).get_backend_name() == "postgresql" else ".sqlite"
    other = ".sqlite" if suffix == ".dump" else ".dump"
    directory = tmp_path / "backups"
    directory.mkdir()
    (directory / f"synapse-20000101T000000Z{suffix}").write_bytes(b"an old backup")
    untouched = [directory / f"synapse-20000101T000000Z{other}", directory / "notes.txt"]
    for path in untouched:
        path.write_text("not a backup of this kind")

    made = [backup(warehouse_url, directory, keep=2) for _ in range(4)]
    assert len(set(made)) == 4, "backups in the same second get distinct names"
    assert backups(directory, suffix) == made[-2:]
    assert sorted(directory.iterdir()) == sorted([*made[-2:], *untouched])


def test_restore_errors_are_clear(tmp_path: Path, pg_database: URL) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(BackupError, match=r"no backup file at .*synapse-20250101T000000Z\.dump"):
        restore(tmp_path / "synapse-20250101T000000Z.dump", pg_database.render_as_string(hide_password=False))
    (tmp_path / "backup.zip").write_bytes(b"PK")
    with pytest.raises(BackupError, match=r"backup\.zip: unknown backup kind, expected a \.dump or \.sqlite file"):
        restore(tmp_path / "backup.zip", sqlite_url)
    (tmp_path / "synapse-20250101T000000Z.sqlite").write_bytes(b"")
    with pytest.raises(BackupError, match="sqlite backup, it restores into sqlite only"):
        restore(tmp_path / "synapse-20250101T000000Z.sqlite", pg_database.render_as_string(hide_password=False))
    (tmp_path / "synapse-20250101T000000Z.dump").write_bytes(b"not a dump")
    with pytest.raises(BackupError, match="restores into postgresql only"):
        restore(tmp_path / "synapse-20250101T000000Z.dump", sqlite_url)
    (tmp_path / "garbage.sqlite").write_bytes(b"not a database, but long enough to have a header" * 100)
    with pytest.raises(BackupError, match="file is not a database"):
        restore(tmp_path / "garbage.sqlite", sqlite_url)
    with pytest.raises(BackupError, match="no SQLite warehouse at"):
        backup(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "backups", keep=1)


def test_cli_reports_a_missing_file(tmp_path: Path) -> None:
    result = _synapse_restore(f"sqlite:///{tmp_path / 'w.db'}", str(tmp_path / "synapse-x.sqlite"))
    assert result.exit_code == 1
    assert "error: no backup file at" in result.stderr
    assert not (tmp_path / "w.db").exists()


def test_failing_pg_dump_and_pg_restore_never_show_the_password(pg_server: URL, tmp_path: Path) -> None:
    missing = pg_server.set(database=f"synapse_missing_{uuid.uuid4().hex[:8]}", password=PASSWORD)
    url = missing.render_as_string(hide_password=False)
    with pytest.raises(BackupError) as failure:
        backup(url, tmp_path, keep=1)
    message = str(failure.value)
    assert "pg_dump failed" in message and "does not exist" in message and missing.database in message
    assert PASSWORD not in message
    assert list(tmp_path.iterdir()) == [], "a failed dump leaves no file behind"

    (tmp_path / "synapse-20250101T000000Z.dump").write_bytes(b"not a dump")
    with pytest.raises(BackupError) as failure:
        restore(tmp_path / "synapse-20250101T000000Z.dump", url)
    assert "pg_restore failed" in str(failure.value) and PASSWORD not in str(failure.value)


def test_password_goes_through_the_environment_only(
    pg_database: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `pg_dump` earlier on PATH records its arguments and PGPASSWORD, then runs the real one."""
    real = shutil.which("pg_dump")
    assert real is not None
    spy_dir, log = tmp_path / "bin", tmp_path / "pg_dump.log"
    spy_dir.mkdir()
    spy = spy_dir / "pg_dump"
    spy.write_text(f'#!/bin/sh\necho "$@" > {log}\necho "PGPASSWORD=$PGPASSWORD" >> {log}\nexec {real} "$@"\n')
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{spy_dir}{os.pathsep}{os.environ['PATH']}")
    _schema_only(pg_database.render_as_string(hide_password=False))

    # Trust authentication ignores the password, so the dump succeeds and shows where the password went.
    path = backup(pg_database.set(password=PASSWORD).render_as_string(hide_password=False), tmp_path / "b", keep=1)
    arguments, environment = log.read_text().splitlines()
    assert path.is_file() and "--format=custom" in arguments and pg_database.database in arguments
    assert PASSWORD not in arguments
    assert environment == f"PGPASSWORD={PASSWORD}"
