"""The `synapse` command: the project's own tasks beside Dagster's CLI."""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from synapse_pipeline.settings import DATABASE_URL_ENV, PROJECT_ROOT, default_database_url

# Dagster's tags for a single run over a partition range (what `--partition-range` sets).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def _generate_data(args: argparse.Namespace) -> int:
    from synapse_pipeline.sample_data import generate

    files = generate(args.out, clients=args.clients, faturamento_rows=args.faturamento_rows, seed=args.seed)
    print(f"{files.estoque}: {files.estoque_lines:,} data lines")
    print(f"{files.faturamento}: {files.faturamento_lines:,} data lines")
    return 0


def _run(_args: argparse.Namespace) -> int:
    """Materialize every asset on the configured warehouse, recorded in the project's Dagster instance."""
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    os.chdir(PROJECT_ROOT)  # dagster.yaml keeps its storage under the project's .synapse/
    import dagster as dg

    from synapse_pipeline.definitions import defs
    from synapse_pipeline.partitions import monthly_partitions

    instance = dg.DagsterInstance.get()
    ingest = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance)
    validated = ingest.output_for_node("faturamento_raw")
    keys = monthly_partitions.get_partition_keys()
    months = sorted({d.strftime("%Y-%m-01") for d in validated.dates} & set(keys))
    if months:
        tags = {PARTITION_RANGE_START_TAG: months[0], PARTITION_RANGE_END_TAG: months[-1]}
        defs.resolve_job_def("faturamento_job").execute_in_process(instance=instance, tags=tags)
    return _summary(_args)


def _summary(_args: argparse.Namespace) -> int:
    """Row count and content checksum of every warehouse table."""
    from synapse_pipeline.warehouse.database import make_engine, masked
    from synapse_pipeline.warehouse.fingerprint import warehouse_checksums

    engine = make_engine(os.environ.get(DATABASE_URL_ENV) or default_database_url())
    print(masked(engine.url))
    with engine.connect() as conn:
        for table, (rows, checksum) in warehouse_checksums(conn).items():
            print(f"{table:<14} {rows:>10,} rows  sha256 {checksum[:16]}")
    engine.dispose()
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

    run = commands.add_parser("run", help="materialize everything: both exports, clientes, estoque, every month")
    run.set_defaults(handler=_run)

    summary = commands.add_parser("summary", help="row count and checksum of every warehouse table")
    summary.set_defaults(handler=_summary)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
