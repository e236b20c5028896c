"""`synapse run` and `synapse deliver`: the project's jobs launched as the UI launches them, one after the other,
through one code server per command.

Each run is recorded in the project's instance with its origin, so it is on its job's page and on the timeline; the
terminal shows one line per run, and Dagster's event log of each is in the UI. Dagster and the pipeline's modules
are imported inside the commands: `synapse --help` and the other commands do not wait for them.
"""

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from synapse_pipeline.cli.errors import fail, remember_verbose
from synapse_pipeline.settings import DATA_DIR_ENV, PROJECT_ROOT, default_data_dir, embedded_dagster_home, state_dir

if TYPE_CHECKING:
    import dagster as dg

    from synapse_pipeline.cli.launch import Launcher

# The jobs `synapse run` launches, in order: each reads what the ones before it stored.
RUN_JOBS = ("ingest_job", "faturamento_job", "kpi_job", "forecast_job", "relatorio_job", "backup_job")


def _launcher() -> "Launcher":
    """A launcher on the instance of DAGSTER_HOME, by default the embedded one in `.synapse/dagster/`; the runs'
    warehouse is checked first, since a URL of an unsupported kind would fail every run the same way."""
    from synapse_pipeline.cli.launch import Launcher
    from synapse_pipeline.cli.warehouse import warehouse_url
    from synapse_pipeline.lib.files import private_folder

    warehouse_url()
    if not os.environ.get("DAGSTER_HOME"):
        private_folder(state_dir())  # the embedded instance's runs and logs: their owner's only, like the warehouse
    home = os.environ.get("DAGSTER_HOME") or str(embedded_dagster_home())
    if not Path(home).is_dir():
        fail(f"synapse: the folder {home} does not exist (DAGSTER_HOME): create it, or unset DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = home
    import dagster as dg

    return Launcher(dg.DagsterInstance.get())


def _launch(
    launcher: "Launcher", job: str, what: str, tags: dict[str, str] | None = None, *, verbose: bool = False
) -> "dg.DagsterRun":
    """One run of `job` on one line: what it does (printed as it starts), then its status, seconds and run id;
    with `verbose`, the run's Dagster event log after it. The command fails with the run."""
    import dagster as dg

    from synapse_pipeline.cli.launch import LatestMessage, LaunchError
    from synapse_pipeline.ingest.loads import PROGRESS_PREFIX

    started = time.perf_counter()
    terminal = sys.stdout.isatty()
    progress = LatestMessage(launcher.instance, PROGRESS_PREFIX)

    def waiting(run: dg.DagsterRun) -> None:
        """On a terminal, the seconds so far and how far a load has got, rewritten in place."""
        click.echo(f"\r{what:<44} {time.perf_counter() - started:6.0f} s  {progress(run.run_id)}\x1b[K", nl=False)

    click.echo(f"{what:<44} ", nl=False)
    try:
        run = launcher.run(job, tags=tags, waiting=waiting if terminal else None)
    except LaunchError as error:
        click.echo("")
        fail(str(error))
    seconds = time.perf_counter() - started
    if terminal:
        click.echo(f"\r{what:<44} \x1b[K", nl=False)
    click.echo(f"{run.status.value.lower():>8} {seconds:6.1f} s  {job} {run.run_id[:8]}")
    if verbose:
        for entry in launcher.instance.all_logs(run.run_id):
            kind = entry.dagster_event.event_type_value if entry.dagster_event else entry.level
            click.echo(f"    {kind:<24} {entry.step_key or '':<22} {entry.message}")
    _fail_unless_succeeded(launcher, job, run)
    return run


def _fail_unless_succeeded(launcher: "Launcher", job: str, run: "dg.DagsterRun") -> None:
    """The command ends with the run when it did not succeed, saying which steps failed and why."""
    import dagster as dg

    from synapse_pipeline.cli.launch import failure_text

    if run.status != dg.DagsterRunStatus.SUCCESS:
        why = failure_text(launcher.instance, run.run_id, rerun=click.get_current_context().command_path)
        fail(f"{job} did not succeed (run {run.run_id}):\n{why}")


def _month_range(months: list[str]) -> dict[str, str]:
    """The tags of one run over the months from the first to the last (what `--partition-range` sets)."""
    from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG

    return {PARTITION_RANGE_START_TAG: months[0], PARTITION_RANGE_END_TAG: months[-1]}


@click.command()
@click.option("--force", is_flag=True, help="Run everything even when the last run is current.")
@click.option(
    "--verbose",
    is_flag=True,
    callback=remember_verbose,
    help="Also print each run's Dagster event log (always in the UI), and an error's traceback.",
)
def run(force: bool, verbose: bool) -> None:
    """Materialize everything: loads, KPIs, forecast, reports, a backup.

    Validates the exports and loads clientes and estoque, then every month of the billing file in one run, the KPI
    tables, the forecast, every month's report in one run and a backup, on the configured warehouse; each run is
    on its job's page and the timeline in the UI. Then every table's row count and checksum.

    When the last `synapse run` is still current (the same exports by sha256, each of its runs succeeded after the
    one before, on this warehouse at this schema revision, nothing made again since, every report stored), it says
    so on one line and runs nothing; --force runs everything anyway.
    """
    from synapse_pipeline.cli.current import run_tags, verdict
    from synapse_pipeline.cli.warehouse import print_summary, warehouse_url
    from synapse_pipeline.ingest.raw import billed_months

    data = PROJECT_ROOT / (os.environ.get(DATA_DIR_ENV) or default_data_dir())  # the runs' folder: they start there
    if not data.is_dir():
        fail(f"synapse: the folder {data} does not exist ({DATA_DIR_ENV}, where the exports arrive)")
    with _launcher() as launcher:
        url = warehouse_url()
        if not force:
            found = verdict(launcher.instance, data, url, RUN_JOBS)
            if found.current:
                click.echo(found.said)
                return
            if verbose:
                click.echo(f"to do: {found.said}")
        tags = run_tags(url)
        _launch(launcher, "ingest_job", "validate the exports, load clientes, estoque", tags, verbose=verbose)
        months = billed_months(launcher.instance)
        span = f"{months[0][:7]}..{months[-1][:7]}" if months else ""
        months_tags = {**tags, **_month_range(months)} if months else tags
        if months:
            _launch(launcher, "faturamento_job", f"load faturamento {span}", months_tags, verbose=verbose)
        _launch(launcher, "kpi_job", "rebuild the KPI tables", tags, verbose=verbose)
        _launch(launcher, "forecast_job", "demand, backtest, forecast, stock advice", tags, verbose=verbose)
        if months:
            _launch(launcher, "relatorio_job", f"render the reports {span}", months_tags, verbose=verbose)
        _launch(launcher, "backup_job", "back the warehouse up", tags, verbose=verbose)
    print_summary()


@click.command()
@click.argument("names", nargs=-1)
@click.option("--archive", "archive_email", metavar="EMAIL", help="Send the reports to this user only, older ones too.")
def deliver(names: tuple[str, ...], archive_email: str | None) -> None:
    """Email the reports to every recipient who has not had them.

    NAMES are report names (default: every stored report), delivered in one run of deliver_reports_job; each gets a
    line saying whom it was sent to. A user receives the reports from the latest complete month's stored when they
    were added (and a partial month after it); with --archive EMAIL that user gets the older ones as well (each
    still once). Exits 1 when a recipient is still pending.
    """
    from sqlalchemy import select

    from synapse_pipeline.cli.launch import LatestMessage, LaunchError
    from synapse_pipeline.cli.warehouse import connection
    from synapse_pipeline.delivery.jobs import delivery_run_config
    from synapse_pipeline.warehouse.models import Report

    with _launcher() as launcher:
        if not names:
            with connection() as conn:
                names = tuple(conn.execute(select(Report.name).order_by(Report.name)).scalars())
        if not names:
            fail("no report is stored yet: `synapse run` renders them")
        try:
            result = launcher.run("deliver_reports_job", config=delivery_run_config(list(names), archive_email or ""))
        except LaunchError as error:
            fail(str(error))
        for name in names:  # what the run said of each: sent to, already delivered to, pending
            click.echo(f"{name}: {LatestMessage(launcher.instance, f'{name}: ')(result.run_id) or 'not reached'}")
        _fail_unless_succeeded(launcher, "deliver_reports_job", result)
