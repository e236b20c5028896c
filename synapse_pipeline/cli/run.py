"""`synapse run` and `synapse deliver`: Dagster jobs executed in this process, recorded in the project's instance.

The definitions are imported inside the commands: loading them takes seconds that `synapse users` should not pay.
"""

import os

import click
import dagster as dg
from sqlalchemy import select

from synapse_pipeline.cli.warehouse import connection, print_summary
from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, monthly_partitions
from synapse_pipeline.settings import embedded_dagster_home
from synapse_pipeline.warehouse.models import Report


def _instance() -> dg.DagsterInstance:
    """The Dagster instance of DAGSTER_HOME, by default the embedded one in `.synapse/dagster/`."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(embedded_dagster_home())
    return dg.DagsterInstance.get()


@click.command()
def run() -> None:
    """Materialize everything: loads, KPIs, reports, a backup.

    The loads, then every month of the billing file in one run, the KPI tables, a report per month and a backup,
    on the configured warehouse; then every table's row count and checksum.
    """
    instance = _instance()
    from synapse_pipeline.definitions import defs

    ingest = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance)
    validated = ingest.output_for_node("faturamento_raw")
    keys = monthly_partitions.get_partition_keys()
    months = sorted({d.strftime("%Y-%m-01") for d in validated.dates} & set(keys))
    if months:
        tags = {PARTITION_RANGE_START_TAG: months[0], PARTITION_RANGE_END_TAG: months[-1]}
        defs.resolve_job_def("faturamento_job").execute_in_process(instance=instance, tags=tags)
    defs.resolve_job_def("kpi_job").execute_in_process(instance=instance)
    reports = defs.resolve_job_def("relatorio_job")
    for month in months:
        reports.execute_in_process(instance=instance, partition_key=month)
    defs.resolve_job_def("backup_job").execute_in_process(instance=instance)
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
        result = job.execute_in_process(instance=instance, run_config=delivery_run_config(name), raise_on_error=False)
        pending += not result.success
        click.echo(f"{name}: {'delivered' if result.success else 'NOT fully delivered (see the run in the UI)'}")
    if pending:
        raise click.exceptions.Exit(1)
