"""The `synapse` command: the project's own tasks beside Dagster's CLI."""

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from synapse_pipeline.cli import users as users_cli
from synapse_pipeline.settings import DATABASE_URL_ENV, PROJECT_ROOT, default_database_url, embedded_dagster_home
from synapse_pipeline.warehouse.backup import add_restore_command

if TYPE_CHECKING:
    from collections.abc import Iterator

    import dagster as dg
    from sqlalchemy import Connection, Engine


def _generate_data(args: argparse.Namespace) -> int:
    from synapse_pipeline.sample_data.generator import generate

    files = generate(args.out, clients=args.clients, faturamento_rows=args.faturamento_rows, seed=args.seed)
    print(f"{files.estoque}: {files.estoque_lines:,} data lines")
    print(f"{files.faturamento}: {files.faturamento_lines:,} data lines")
    return 0


def _instance() -> "dg.DagsterInstance":
    """The Dagster instance of DAGSTER_HOME, by default the embedded one in `.synapse/dagster/`."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(embedded_dagster_home())
    import dagster as dg

    return dg.DagsterInstance.get()


def _run(args: argparse.Namespace) -> int:
    """Materialize everything on the configured warehouse, recorded in the project's Dagster instance.

    The loads, then every month of the billing file in one run, the KPI tables, a report per month, a backup.
    """
    instance = _instance()
    from synapse_pipeline.definitions import defs
    from synapse_pipeline.ingest.partitions import (
        PARTITION_RANGE_END_TAG,
        PARTITION_RANGE_START_TAG,
        monthly_partitions,
    )

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
    return _summary(args)


def _deliver(args: argparse.Namespace) -> int:
    """Run deliver_reports_job for the named reports (default: every stored report), as the sensor would."""
    instance = _instance()
    from sqlalchemy import select

    from synapse_pipeline.definitions import defs
    from synapse_pipeline.warehouse.models import Report

    names = args.names
    if not names:
        with _connection() as conn:
            names = list(conn.execute(select(Report.name).order_by(Report.name)).scalars())
    job = defs.resolve_job_def("deliver_reports_job")
    pending = 0
    for name in names:
        config = {"ops": {"deliver_reports": {"config": {"report_name": name}}}}
        result = job.execute_in_process(instance=instance, run_config=config, raise_on_error=False)
        pending += not result.success
        print(f"{name}: {'delivered' if result.success else 'NOT fully delivered (see the run in the UI)'}")
    return 1 if pending else 0


def _engine() -> "Engine":
    """The configured warehouse, its schema brought up to date (idempotent)."""
    from synapse_pipeline.warehouse.database import create_schema, make_engine

    engine = make_engine(os.environ.get(DATABASE_URL_ENV) or default_database_url())
    create_schema(engine)
    return engine


@contextmanager
def _connection() -> "Iterator[Connection]":
    """A connection to the configured warehouse, its engine disposed afterwards."""
    engine = _engine()
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _summary(_args: argparse.Namespace) -> int:
    """Row count and content checksum of every warehouse table."""
    from synapse_pipeline.kpis.catalog import KPI_TABLES
    from synapse_pipeline.warehouse.database import masked
    from synapse_pipeline.warehouse.fingerprint import warehouse_checksums

    with _connection() as conn:
        print(masked(conn.engine.url))
        for table, (rows, checksum) in warehouse_checksums(conn, KPI_TABLES).items():
            print(f"{table:<22} {rows:>10,} rows  sha256 {checksum[:16]}")
    return 0


def _reports_list(_args: argparse.Namespace) -> int:
    """Every stored report: name, when it was made, size."""
    from sqlalchemy import func, select

    from synapse_pipeline.warehouse.models import Report

    with _connection() as conn:
        query = select(Report.name, Report.created_at, func.length(Report.content)).order_by(Report.name)
        for name, created_at, size in conn.execute(query):
            print(f"{name}  {created_at:%Y-%m-%d %H:%M}  {size:>9,} characters")
    return 0


def _reports_export(args: argparse.Namespace) -> int:
    """Write one report's HTML to a file."""
    from sqlalchemy import select

    from synapse_pipeline.warehouse.models import Report

    with _connection() as conn:
        content = conn.execute(select(Report.content).where(Report.name == args.name)).scalar()
    if content is None:
        print(f"no report named {args.name!r} (see: synapse reports list)", file=sys.stderr)
        return 1
    args.file.write_text(content, encoding="utf-8")
    print(f"{args.name} -> {args.file}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synapse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate-data", help="write sample exports shaped like the real ones")
    generate.add_argument("--out", type=Path, default=PROJECT_ROOT / "data")
    generate.add_argument("--clients", type=int, default=11)
    generate.add_argument("--faturamento-rows", type=int, default=17_343)
    generate.add_argument("--seed", type=int, default=7)
    generate.set_defaults(handler=_generate_data)

    run = commands.add_parser("run", help="materialize everything: loads, every month, KPI tables, reports, a backup")
    run.set_defaults(handler=_run)

    deliver = commands.add_parser("deliver", help="email the reports to every recipient who has not had them")
    deliver.add_argument("names", nargs="*", help="report names (default: every stored report)")
    deliver.set_defaults(handler=_deliver)

    summary = commands.add_parser("summary", help="row count and checksum of every warehouse table")
    summary.set_defaults(handler=_summary)

    reports = commands.add_parser("reports", help="the stored monthly reports").add_subparsers(
        dest="reports_command", required=True
    )
    reports.add_parser("list", help="name, date and size of every report").set_defaults(handler=_reports_list)
    export = reports.add_parser("export", help="write a report's HTML to a file")
    export.add_argument("name", help="e.g. relatorio-mensal-2025-07")
    export.add_argument("file", type=Path)
    export.set_defaults(handler=_reports_export)

    users_cli.register(commands, _engine)
    add_restore_command(commands, lambda: os.environ.get(DATABASE_URL_ENV) or default_database_url())

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
