"""The production instance (deploy/dagster.yaml): Dagster's storage on PostgreSQL, and backfills through the daemon."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from sqlalchemy.engine import URL

from synapse_pipeline.settings import PROJECT_ROOT
from tests.support import UNPARTITIONED, Pipeline, kill_processes_mentioning, libpq

pytestmark = pytest.mark.slow  # a real dagster-daemon and PostgreSQL storage: out of the fast lane

BACKFILL_TIMEOUT_SECONDS = 240


@pytest.fixture
def dagster_pg_url(pg_server: URL) -> Iterator[str]:
    """A fresh database for Dagster's storage, as the psycopg2 URL dagster-postgres needs."""
    name = f"synapse_dagster_{uuid.uuid4().hex[:12]}"
    server = libpq(pg_server)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.set(drivername="postgresql+psycopg2", database=name).render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def production_home(tmp_path: Path, dagster_pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME holding the production dagster.yaml (deploy/), its storage URL in the environment."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("SYNAPSE_DAGSTER_PG_URL", dagster_pg_url)
    return home


def _count_runs(dagster_pg_url: str) -> int:
    with psycopg.connect(libpq(dagster_pg_url)) as conn:
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0]


def test_production_instance_stores_runs_in_postgres(
    production_home: Path, dagster_pg_url: str, pg_database: URL, data_dir: Path, tmp_path: Path
) -> None:
    with dg.DagsterInstance.from_config(str(production_home)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        pipeline = Pipeline(pg_database.render_as_string(hide_password=False), data_dir, tmp_path / "io", instance)
        pipeline.load_all(months=("2024-01-01", "2024-02-01"))
        assert len(instance.get_runs()) == 2
    assert _count_runs(dagster_pg_url) == 2


def test_multi_run_backfill_through_the_daemon(
    production_home: Path, dagster_pg_url: str, pg_database: URL, data_dir: Path, tmp_path: Path
) -> None:
    warehouse = pg_database.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(production_home),
        "SYNAPSE_DAGSTER_PG_URL": dagster_pg_url,
        "SYNAPSE_DATABASE_URL": warehouse,
        "SYNAPSE_DATA_DIR": str(data_dir),
        "SYNAPSE_STATE_DIR": str(tmp_path / "state"),
    }
    with dg.DagsterInstance.from_config(str(production_home)) as instance:
        # The loads the months depend on, stored where the daemon's runs will read them (the state directory).
        pipeline = Pipeline(warehouse, data_dir, tmp_path / "state" / "storage", instance)
        assert pipeline.materialize(UNPARTITIONED).success
        bin_dir = Path(sys.executable).parent
        daemon = subprocess.Popen(
            [bin_dir / "dagster-daemon", "run", "-w", "workspace.yaml"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # stop its whole process group
        )
        try:
            subprocess.run(
                [bin_dir / "dagster", "job", "backfill", "-w", "workspace.yaml", "-j", "faturamento_job",
                 "--from", "2024-01-01", "--to", "2024-03-01", "--noprompt"],
                cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
            )  # fmt: skip
            deadline = time.monotonic() + BACKFILL_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                runs = [r for r in instance.get_runs() if r.tags.get("dagster/backfill")]
                if len(runs) == 3 and all(r.is_finished for r in runs):
                    break
                time.sleep(2)
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
            kill_processes_mentioning(str(production_home))  # the code server the daemon started
        assert sorted((r.tags["dagster/partition"], r.status.value) for r in runs) == [
            ("2024-01-01", "SUCCESS"),
            ("2024-02-01", "SUCCESS"),
            ("2024-03-01", "SUCCESS"),
        ]
    file_rows = sum(
        1
        for line in (data_dir / "faturamento 1.csv").read_text().splitlines()[1:]
        if "2024-01-01" <= line[:10] < "2024-04-01"
    )
    assert pipeline.scalar("SELECT count(*) FROM faturamento WHERE data < '2024-04-01'") == file_rows
