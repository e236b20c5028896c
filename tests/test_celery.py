"""Scale-out on Celery: the KPI steps run in a real dagster-celery worker process fed through Redis.

The test starts `celery -A dagster_celery.app worker` on a queue of its own (so a developer's worker or another test
session on the same Redis takes none of its steps), runs the KPI job through Synapse's celery executor against a
Dagster instance on PostgreSQL, proves from the run's events that every step ran inside that worker, then stops the
worker and deletes its queue.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psycopg
import pytest
import redis
from celery import Celery
from kombu import Exchange, Queue
from sqlalchemy.engine import URL

from synapse_pipeline.kpis import assets as aggregates
from synapse_pipeline.kpis.catalog import KPI_TABLES
from synapse_pipeline.kpis.celery import celery_backend_url, celery_broker_url, synapse_celery_executor
from synapse_pipeline.kpis.jobs import kpi_job
from synapse_pipeline.settings import DATABASE_URL_ENV
from synapse_pipeline.warehouse.resource import Warehouse
from tests.support import Pipeline, libpq

pytestmark = pytest.mark.slow  # a real Celery worker: out of the fast lane

QUEUE_ENV = "SYNAPSE_TEST_CELERY_QUEUE"
CELERY_WORKER_METADATA = "Celery worker"  # set by dagster-celery on the engine event that opens each step
WORKER_READY_SECONDS = 30
RUN_DEADLINE_SECONDS = 90


def kpi_job_on_test_queue() -> dg.JobDefinition:
    """The KPI job on the test's queue and warehouse; at module level so that the worker can rebuild it."""
    job = dg.define_asset_job(
        "kpi_job_celery", selection=kpi_job.selection, executor_def=synapse_celery_executor(os.environ[QUEUE_ENV])
    )
    defs = dg.Definitions(
        assets=dg.load_assets_from_modules([aggregates], group_name="kpis"),
        jobs=[job],
        resources={"warehouse": Warehouse(url=dg.EnvVar(DATABASE_URL_ENV))},
    )
    return defs.resolve_job_def(job.name)


@dataclass
class Worker:
    """A running Celery worker: its process, node name, queue and log."""

    process: subprocess.Popen
    nodename: str
    queue: str
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _parent_pid(pid: int) -> int:
    """The parent of a live process (Linux): field 4 of /proc/<pid>/stat, after the parenthesised name."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


@contextmanager
def _deadline(seconds: int, what: str) -> Iterator[None]:
    """Interrupt the block after `seconds`: a run whose worker died would otherwise wait for it forever."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"{what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def celery_app() -> Iterator[Celery]:
    """A client of Synapse's broker and backend; Redis unreachable is an error, never a skip."""
    broker = celery_broker_url()
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is required as the Celery broker at {broker} (SYNAPSE_CELERY_BROKER): {error}")
    app = Celery("synapse-test-client", broker=broker, backend=celery_backend_url())
    yield app
    app.close()


@pytest.fixture
def celery_worker(
    celery_app: Celery, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_database: URL
) -> Iterator[Worker]:
    """`celery -A dagster_celery.app worker` on a fresh queue, able to import this module; stopped and cleaned after."""
    queue = f"synapse-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv(QUEUE_ENV, queue)
    monkeypatch.setenv(DATABASE_URL_ENV, pg_database.render_as_string(hide_password=False))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    nodename = f"{queue}@synapse-test"
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "dagster_celery.app"),
                *("--broker", celery_broker_url(), "--result-backend", celery_backend_url()),
                *("worker", "--queues", queue, "--hostname", nodename, "--concurrency", "2"),
                *("--prefetch-multiplier", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO"),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the pool children can be killed with it
        )
    worker = Worker(process, nodename, queue, log)
    try:
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while not celery_app.control.ping(destination=[nodename], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not come up (exit {process.poll()}):\n{worker.log_tail()}")
        yield worker
    finally:
        _stop(process)
        with celery_app.connection_for_write() as conn:
            # Declared then deleted: empties the queue (every priority level) and drops its binding in Redis.
            bound = Queue(queue, Exchange(queue, "direct"), routing_key=queue)(conn.default_channel)
            bound.declare()
            bound.delete()


def _stop(process: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM lets running steps finish), then the whole process group killed if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def dagster_postgres_url(pg_server: URL) -> Iterator[str]:
    """A database of its own for the Dagster instance that the run and the worker share, dropped after."""
    name = f"synapse_dagster_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    # dagster-postgres listens with psycopg2; a bare postgresql:// would pick psycopg 3 under SQLAlchemy 2.1.
    yield pg_server.set(drivername="postgresql+psycopg2", database=name).render_as_string(hide_password=False)
    with psycopg.connect(libpq(pg_server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
# dagster-celery registers its task anew for every step it submits; Celery 5.7 warns, harmlessly.
@pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")
def test_kpi_steps_run_in_the_celery_worker(
    pipeline: Pipeline, celery_worker: Worker, dagster_postgres_url: str
) -> None:
    pipeline.load_all()
    overrides = {"storage": {"postgres": {"postgres_url": dagster_postgres_url}}}
    with dg.instance_for_test(overrides=overrides) as instance:
        with _deadline(RUN_DEADLINE_SECONDS, "the run on Celery"):
            result = dg.execute_job(dg.reconstructable(kpi_job_on_test_queue), instance=instance, raise_on_error=False)
        assert result.success, f"run failed; worker log:\n{celery_worker.log_tail()}"

        materialized = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
        assert materialized == set(KPI_TABLES)

        # dagster-celery opens each step with an engine event naming the worker node that took the task.
        nodes = {
            event.step_key: event.engine_event_data.metadata[CELERY_WORKER_METADATA].value
            for event in result.all_events
            if event.is_engine_event and CELERY_WORKER_METADATA in event.engine_event_data.metadata
        }
        steps = {event.step_key for event in result.get_step_success_events()}
        assert len(steps) == len(KPI_TABLES)
        assert nodes == dict.fromkeys(steps, celery_worker.nodename)

        # And every step's own events come from a pool process of that worker, never from this test's process.
        step_pids = {event.pid for event in result.all_events if event.is_step_event}
        assert os.getpid() not in step_pids
        assert {_parent_pid(pid) for pid in step_pids} == {celery_worker.process.pid}

    for table in KPI_TABLES:
        assert pipeline.scalar(f"SELECT count(*) FROM {table}") > 0, table
