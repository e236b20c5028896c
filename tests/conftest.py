"""Fixtures: a fresh PostgreSQL database per test session, SQLite files per test, the sample exports."""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from sqlalchemy import make_url
from sqlalchemy.engine import URL

from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import Pipeline, empty_tables, libpq

PG_ADMIN_URL = os.environ.get("SYNAPSE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Fixtures that load the whole sample through Dagster (5 to 10 s a test): their tests leave the fast lane.
WHOLE_SAMPLE_FIXTURES = frozenset({"pipeline", "loaded"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test that loads the whole sample; real processes are marked in their modules."""
    for item in items:
        if WHOLE_SAMPLE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def pg_server() -> URL:
    """The PostgreSQL server; unreachable is an error, never a skip."""
    url = make_url(PG_ADMIN_URL)
    try:
        psycopg.connect(libpq(url), connect_timeout=5).close()
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is required at {url.render_as_string()} (SYNAPSE_TEST_PG_URL): {error}")
    return url


@pytest.fixture(scope="session")
def pg_database(pg_server: URL) -> Iterator[URL]:
    """A fresh database for this test session, dropped at the end."""
    name = f"synapse_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.set(database=name)
    with psycopg.connect(libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty warehouse with its schema: an SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    url = request.getfixturevalue("pg_database")
    engine = make_engine(url)
    upgrade_schema(engine)
    empty_tables(engine)
    engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default sample exports, generated once per session (identical to `data/`)."""
    from synapse_pipeline.sample_data.generator import generate

    out = tmp_path_factory.mktemp("sample")
    generate(out)
    return out


@pytest.fixture
def data_dir(sample_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the sample exports that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(sample_dir, target)
    return target


@pytest.fixture
def pipeline(warehouse_url: str, data_dir: Path, tmp_path: Path) -> Iterator[Pipeline]:
    with dg.instance_for_test() as instance:
        yield Pipeline(warehouse_url, data_dir, tmp_path / "storage", instance)


@pytest.fixture(scope="module")
def loaded(
    pg_database: URL, sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Pipeline, dict[str, tuple[int, str]]]]:
    """Per test module: a PostgreSQL warehouse holding the sample, and its checksums, for tests of refused input."""
    engine = make_engine(pg_database)
    upgrade_schema(engine)
    empty_tables(engine)
    engine.dispose()
    root = tmp_path_factory.mktemp("loaded")
    shutil.copytree(sample_dir, root / "data")
    with dg.instance_for_test() as instance:
        pipeline = Pipeline(pg_database.render_as_string(hide_password=False), root / "data", root / "io", instance)
        pipeline.load_all()
        yield pipeline, pipeline.checksums()


@pytest.fixture
def bad(loaded: tuple[Pipeline, dict[str, tuple[int, str]]], sample_dir: Path, tmp_path: Path) -> Iterator[Pipeline]:
    """The loaded pipeline reading a private copy of the sample that the test breaks; the warehouse must not change."""
    pipeline, before = loaded
    data = tmp_path / "data"
    shutil.copytree(sample_dir, data)
    original = pipeline.data_dir
    pipeline.data_dir = data
    yield pipeline
    pipeline.data_dir = original
    assert pipeline.checksums() == before, "a failed load changed the warehouse"
