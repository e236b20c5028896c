"""`synapse run` and `synapse deliver`: Dagster jobs executed in this process, recorded in the project's instance.

The definitions are imported inside the commands: loading them takes seconds that `synapse users` should not pay.
"""

import os

import click
import dagster as dg
from sqlalchemy import select

from synapse_pipeline.cli.warehouse import connection, print_summary
from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, monthly_partitions
from synapse_pipeline.settings import CODE_LOCATION_NAME, embedded_dagster_home
from synapse_pipeline.warehouse.models import Report

# Dagster files a run under its job's page by this hidden tag, `repository@code location`; runs launched by the UI or
# the daemon carry it, in-process runs do not unless given it. The location's name is set in workspace.yaml and for dg.
JOB_PAGE_TAGS = {".dagster/repository": f"__repository__@{CODE_LOCATION_NAME}"}


def _instance() -> dg.DagsterInstance:
    """The Dagster instance of DAGSTER_HOME, by default the embedded one in `.synapse/dagster/`."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(embedded_dagster_home())
    return dg.DagsterInstance.get()


def _month_range(months: list[str]) -> dict[str, str]:
    """The tags of one run over the months from the first to the last (what `--partition-range` sets)."""
    return {PARTITION_RANGE_START_TAG: months[0], PARTITION_RANGE_END_TAG: months[-1]}


@click.command()
def run() -> None:
    """Materialize everything: loads, KPIs, forecast, reports, a backup.

    The loads, then every month of the billing file in one run, the KPI tables, the forecast, every month's
    report in one run
    and a backup, on the configured warehouse, each run on its job's page in the UI; then every table's row count
    and checksum.
    """
    instance = _instance()
    from synapse_pipeline.definitions import defs

    def execute(job: str, **tags: str) -> dg.ExecuteInProcessResult:
        return defs.resolve_job_def(job).execute_in_process(instance=instance, tags={**JOB_PAGE_TAGS, **tags})

    validated = execute("ingest_job").output_for_node("faturamento_raw")
    months = sorted({d.strftime("%Y-%m-01") for d in validated.dates} & set(monthly_partitions.get_partition_keys()))
    if months:
        execute("faturamento_job", **_month_range(months))
    execute("kpi_job")
    execute("forecast_job")
    if months:
        execute("relatorio_job", **_month_range(months))
    execute("backup_job")
    print_summary()


@click.command()
@click.argument("names", nargs=-1)
def deliver(names: tuple[str, ...]) -> None:
    """Email the reports to every recipient who has not had them.

    NAMES are report names (default: every stored report); each gets one run of deliver_reports_job, as the sensor
    would request. Exits 1 when a recipient is still pending.
    """
    instance = _instance()
    from synapse_pipeline.definitions import defs
    from synapse_pipeline.delivery.jobs import delivery_run_config

    if not names:
        with connection() as conn:
            names = tuple(conn.execute(select(Report.name).order_by(Report.name)).scalars())
    job = defs.resolve_job_def("deliver_reports_job")
    pending = 0
    for name in names:
        config = delivery_run_config([name])
        result = job.execute_in_process(instance=instance, run_config=config, tags=JOB_PAGE_TAGS, raise_on_error=False)
        pending += not result.success
        click.echo(f"{name}: {'delivered' if result.success else 'NOT fully delivered (see the run in the UI)'}")
    if pending:
        raise click.exceptions.Exit(1)
