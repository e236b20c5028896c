"""Faults during a load: a killed connection rolls back and the retry succeeds; concurrent loads never duplicate
and, on SQLite, wait for each other.

Dagster runs here in the main thread or in subprocesses, never in test threads (Python's logging locks and
Dagster's log handlers can deadlock across threads); helper threads only talk to PostgreSQL or SQLite.
"""

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from sqlalchemy import make_url

from synapse_pipeline.settings import PROJECT_ROOT
from tests.support import Pipeline, failure_message, libpq

MARCH = "SELECT count(*) FROM faturamento WHERE data >= '2024-03-01' AND data < '2024-04-01'"
WAITING_COPY = "SELECT pid FROM pg_stat_activity WHERE query ILIKE 'COPY%faturamento%' AND wait_event_type = 'Lock'"


WAITING_LOADS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


def _hold_the_copy(url: str, blocking: threading.Event, act: Callable[[psycopg.Connection, int], None]) -> None:
    """Block the load's foreign-key checks, call `act` (with a connection and the load's backend) once the load waits
    there, then let go."""
    with psycopg.connect(libpq(url)) as blocker:
        # The load has deleted March and copied its rows; its FK checks wait on these row locks.
        blocker.execute("SELECT * FROM clientes FOR UPDATE")
        blocking.set()
        deadline = time.monotonic() + 60
        with psycopg.connect(libpq(url), autocommit=True) as watcher:
            while time.monotonic() < deadline:
                waiting = watcher.execute(WAITING_COPY).fetchone()
                if waiting:
                    act(watcher, waiting[0])
                    break
                time.sleep(0.1)
        blocker.rollback()


def _load_march_while_the_copy_waits(
    pipeline: Pipeline, act: Callable[[psycopg.Connection, int], None]
) -> dg.ExecuteInProcessResult:
    """Load March while `_hold_the_copy` holds its COPY in a helper thread and calls `act` there."""
    blocking = threading.Event()
    helper = threading.Thread(target=_hold_the_copy, args=(pipeline.warehouse_url, blocking, act))
    helper.start()
    assert blocking.wait(timeout=30)
    result = pipeline.materialize(["faturamento"], partition="2024-03-01")
    helper.join(timeout=60)
    return result


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_connection_killed_mid_load_rolls_back_and_the_retry_succeeds(pipeline: Pipeline) -> None:
    pipeline.load_all()
    before = pipeline.checksums()
    killed: list[int] = []

    def kill(watcher: psycopg.Connection, pid: int) -> None:
        watcher.execute("SELECT pg_terminate_backend(%s)", (pid,))
        killed.append(pid)

    result = _load_march_while_the_copy_waits(pipeline, kill)

    assert killed, "the load never reached its COPY"
    assert result.success
    assert any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    assert pipeline.checksums() == before


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_two_loads_of_the_same_month_at_once_never_duplicate(pipeline: Pipeline, tmp_path: Path) -> None:
    pipeline.storage = tmp_path / "state" / "storage"  # where the subprocess runs read faturamento_raw
    pipeline.load_all()
    march = pipeline.scalar(MARCH)
    before = pipeline.checksums()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(pipeline.instance.root_directory),
        "SYNAPSE_DATABASE_URL": pipeline.warehouse_url,
        "SYNAPSE_DATA_DIR": str(pipeline.data_dir),
        "SYNAPSE_STATE_DIR": str(tmp_path / "state"),
    }
    command = [
        str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "-m", "synapse_pipeline.definitions",
        "--select", "faturamento", "--partition", "2024-03-01",
    ]  # fmt: skip

    with psycopg.connect(libpq(pipeline.warehouse_url)) as blocker:
        # Hold the first load inside its transaction (at its COPY's foreign-key checks) until the second one is
        # waiting too: the two runs are then truly at the same month at the same time.
        blocker.execute("SELECT * FROM clientes FOR UPDATE")
        runs = [subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL) for _ in range(2)]
        deadline = time.monotonic() + 120
        with psycopg.connect(libpq(pipeline.warehouse_url), autocommit=True) as watcher:
            while watcher.execute(WAITING_LOADS).fetchone()[0] < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert watcher.execute(WAITING_LOADS).fetchone()[0] == 2, "the two loads never overlapped"
        blocker.rollback()

    assert [run.wait(timeout=180) for run in runs] == [0, 0]
    assert pipeline.scalar(MARCH) == march
    assert pipeline.checksums() == before


def _hold_sqlite_writes(path: str, held: threading.Event, seconds: float) -> None:
    """Hold SQLite's write lock (another run's load, say) for `seconds`, then commit nothing."""
    with closing(sqlite3.connect(path, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        writer.execute("ROLLBACK")


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_a_load_waits_for_another_sqlite_writer_instead_of_failing(pipeline: Pipeline) -> None:
    pipeline.load_all()
    before = pipeline.checksums()
    held = threading.Event()
    hold = 7.0  # longer than sqlite3's default busy timeout (5 s), which failed the load with "database is locked"
    writer = threading.Thread(
        target=_hold_sqlite_writes, args=(make_url(pipeline.warehouse_url).database, held, hold), daemon=True
    )
    writer.start()
    assert held.wait(10)
    started = time.monotonic()
    result = pipeline.materialize(["faturamento"], partition="2024-03-01")
    waited = time.monotonic() - started
    writer.join()

    assert result.success, failure_message(result)
    assert waited > hold - 1  # it really met the other writer
    assert pipeline.checksums() == before


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_an_export_overwritten_while_its_load_writes_is_refused_and_rolled_back(pipeline: Pipeline) -> None:
    """The second check runs once the last row is sent, beside the index rebuild: it still sees the new bytes."""
    pipeline.load_all()
    before = pipeline.checksums()
    export = pipeline.data_dir / "faturamento 1.csv"
    done: list[bool] = []

    def overwrite(_: psycopg.Connection, __: int) -> None:
        time.sleep(0.5)  # the check at the load's start, of a 2 MB file, is long done
        original = export.read_bytes()
        export.write_bytes(original + original.splitlines(keepends=True)[-1])  # still valid: its last line again
        done.append(True)

    result = _load_march_while_the_copy_waits(pipeline, overwrite)

    assert done, "the load never reached its COPY"
    assert not result.success
    assert "faturamento 1.csv changed while it was read for this load" in failure_message(result)
    assert pipeline.checksums() == before
