"""Scale-out on Celery: jobs whose steps run in dagster-celery workers fed through Redis.

For when one machine is not enough. The default jobs keep the local multiprocess executor, so the project still
runs with no broker; `kpi_job_celery` is the same KPI rebuild with each table's step sent to a worker.
Workers run dagster-celery's own app (`celery -A dagster_celery.app worker -Q dagster`) with the broker and backend
below, import `synapse_pipeline` themselves and write their events to the run's Dagster instance, so that instance
must be persistent and shared (PostgreSQL when workers are on other machines).
"""

import os

import dagster as dg
from dagster_celery import celery_executor

from synapse_pipeline.kpis.jobs import kpi_job
from synapse_pipeline.settings import MAX_RUNTIME_TAG, env_or_default_config

CELERY_BROKER_ENV = "SYNAPSE_CELERY_BROKER"
CELERY_BACKEND_ENV = "SYNAPSE_CELERY_BACKEND"
DEFAULT_CELERY_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_CELERY_BACKEND = "redis://127.0.0.1:6379/1"
# dagster-celery's default queue, the one `dagster_celery.app` workers consume unless given `-Q`.
CELERY_QUEUE = "dagster"


def celery_broker_url() -> str:
    """The Redis broker the executor sends steps to; a worker must be started on the same one."""
    return os.environ.get(CELERY_BROKER_ENV) or DEFAULT_CELERY_BROKER


def celery_backend_url() -> str:
    """Where workers leave each step's events for the run to collect."""
    return os.environ.get(CELERY_BACKEND_ENV) or DEFAULT_CELERY_BACKEND


def synapse_celery_executor(queue: str = CELERY_QUEUE) -> dg.ExecutorDefinition:
    """dagster-celery's executor on Synapse's broker, sending every step to the workers that consume `queue`.

    A queue other than the default makes a pool of its own: only workers started with `-Q <queue>` take its steps.
    """
    return celery_executor.configured(
        {
            "broker": env_or_default_config(CELERY_BROKER_ENV, DEFAULT_CELERY_BROKER),
            "backend": env_or_default_config(CELERY_BACKEND_ENV, DEFAULT_CELERY_BACKEND),
            "config_source": {"task_default_queue": queue},
        },
        name="synapse_celery",
    )


kpi_job_celery = dg.define_asset_job(
    "kpi_job_celery",
    selection=kpi_job.selection,
    description="Rebuild every KPI table, each table a task on the Celery workers (start them first).",
    executor_def=synapse_celery_executor(),
    tags={MAX_RUNTIME_TAG: "1800"},  # dagster-celery waits forever for a dead worker's step: monitoring ends it
)
