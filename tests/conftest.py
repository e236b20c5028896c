"""Fixtures: a fresh PostgreSQL database per test session, SQLite files per test, the sample exports."""

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.engine import URL

from synapse_pipeline.assets import ingest
from synapse_pipeline.cli import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from synapse_pipeline.resources import ExportFiles, Warehouse
from synapse_pipeline.warehouse.database import create_schema, make_engine
from synapse_pipeline.warehouse.fingerprint import warehouse_checksums
from synapse_pipeline.warehouse.models import Base

PG_ADMIN_URL = os.environ.get("SYNAPSE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
INGEST_ASSETS = [ingest.estoque_raw, ingest.faturamento_raw, ingest.clientes, ingest.estoque, ingest.faturamento]
UNPARTITIONED = ["estoque_raw", "faturamento_raw", "clientes", "estoque"]


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server() -> URL:
    """The PostgreSQL server; unreachable is an error, never a skip."""
    url = make_url(PG_ADMIN_URL)
    try:
        psycopg.connect(_libpq(url), connect_timeout=5).close()
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is required at {url.render_as_string()} (SYNAPSE_TEST_PG_URL): {error}")
    return url


@pytest.fixture(scope="session")
def pg_database(pg_server: URL) -> Iterator[URL]:
    """A fresh database for this test session, dropped at the end."""
    name = f"synapse_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.set(database=name)
    with psycopg.connect(_libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _empty_tables(engine: Engine) -> None:
    tables = ", ".join(engine.dialect.identifier_preparer.quote(t) for t in Base.metadata.tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty warehouse with its schema: an SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    url = request.getfixturevalue("pg_database")
    engine = make_engine(url)
    create_schema(engine)
    _empty_tables(engine)
    engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default sample exports, generated once per session (identical to `data/`)."""
    from synapse_pipeline.sample_data import generate

    out = tmp_path_factory.mktemp("sample")
    generate(out)
    return out


@pytest.fixture
def data_dir(sample_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the sample exports that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(sample_dir, target)
    return target


@dataclass
class Pipeline:
    """Materializes the ingest assets the way Dagster runs them, against one warehouse and data folder."""

    warehouse_url: str
    data_dir: Path
    storage: Path
    instance: dg.DagsterInstance

    def resources(self) -> dict[str, object]:
        return {
            "warehouse": Warehouse(url=self.warehouse_url),
            "export_files": ExportFiles(data_dir=str(self.data_dir)),
            "io_manager": dg.FilesystemIOManager(base_dir=str(self.storage)),
        }

    def materialize(
        self, selection: list[str], *, partition: str | None = None, months: tuple[str, str] | None = None
    ) -> dg.ExecuteInProcessResult:
        tags = {PARTITION_RANGE_START_TAG: months[0], PARTITION_RANGE_END_TAG: months[1]} if months else None
        return dg.materialize(
            INGEST_ASSETS,
            selection=selection,
            resources=self.resources(),
            instance=self.instance,
            partition_key=partition,
            tags=tags,
            raise_on_error=False,
        )

    def load_all(self, months: tuple[str, str] = ("2024-01-01", "2025-08-01")) -> None:
        assert self.materialize(UNPARTITIONED).success
        assert self.materialize(["faturamento"], months=months).success

    def engine(self) -> Engine:
        return make_engine(self.warehouse_url)

    def checksums(self) -> dict[str, tuple[int, str]]:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return warehouse_checksums(conn)
        finally:
            engine.dispose()

    def rows(self, sql: str, **params: object) -> list[tuple]:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def scalar(self, sql: str, **params: object) -> object:
        return self.rows(sql, **params)[0][0]


@pytest.fixture
def pipeline(warehouse_url: str, data_dir: Path, tmp_path: Path) -> Iterator[Pipeline]:
    with dg.instance_for_test() as instance:
        yield Pipeline(warehouse_url, data_dir, tmp_path / "storage", instance)


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The description of the run's failed step, as the UI shows it."""
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            return (data.user_failure_data.description if data.user_failure_data else None) or data.error.message
    raise AssertionError("the run did not fail")
