"""KPI benchmark: the incremental refresh after one month is re-loaded, beside a full rebuild, in one run.

For each size it generates the exports (`synapse generate-data`'s generator), loads them into a fresh PostgreSQL
database through `dagster asset materialize` (as bench_load.py does), then, in-process on that instance:
  - the first build of every KPI table and `demanda_mensal` (nothing to refresh from: a rebuild);
  - one month (2025-03) loaded again from the same file (the load command, not counted);
  - the refresh after it: the month tables take in 2025-03 only, the windows read `faturamento_diario`;
  - the reference: every KPI table and its watermark dropped, then made again from scratch, in the same state;
and checks that the refresh and the rebuild hold the same rows (checksums). Each figure is printed with its ratio
to the rebuild and each table's own seconds; everything is written as JSON to benchmarks/out/kpis.json.
The runs use Dagster's in-process executor: one table after another (the daemon's runs spread them over the cores).

Usage: .venv/bin/python benchmarks/bench_kpis.py [--rows 1000000 10000000] [--pg postgresql://postgres@127.0.0.1:5432]
Not part of the test suite.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click
import dagster as dg
import psycopg

from synapse_pipeline.forecast.assets import demanda_mensal
from synapse_pipeline.forecast.tables import DEMANDA_MENSAL
from synapse_pipeline.kpis.assets import grupo_produto, kpi_assets
from synapse_pipeline.kpis.catalog import KPI_TABLES
from synapse_pipeline.kpis.changes import forget
from synapse_pipeline.sample_data.generator import generate
from synapse_pipeline.settings import PROJECT_ROOT
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.fingerprint import warehouse_checksums
from synapse_pipeline.warehouse.resource import Warehouse

BIN = Path(sys.executable).parent
OUT = PROJECT_ROOT / "benchmarks" / "out"
MONTH = "2025-03-01"  # the month re-loaded: a full month in the middle of the sample's twenty
TABLES = (*KPI_TABLES, DEMANDA_MENSAL.name)
ASSETS = [grupo_produto, *kpi_assets, demanda_mensal]
TARGET_SECONDS = 10.0  # issue 26: current within 10 s of one month loaded into 10M lines


@dataclass
class Figure:
    rows: int
    name: str
    seconds: float
    ratio: float | None = None  # to the full rebuild
    tables: dict[str, float] = field(default_factory=dict)  # each table's own refresh seconds


def _command(command: list[str], env: dict[str, str]) -> None:
    subprocess.run(command, env=env, cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _refresh(rows: int, name: str, url: str, instance: dg.DagsterInstance) -> Figure:
    """Every KPI table and the demand made current in one in-process run, timed, with each table's seconds."""
    started = time.perf_counter()
    result = dg.materialize(ASSETS, resources={"warehouse": Warehouse(url=url)}, instance=instance)
    seconds = time.perf_counter() - started
    assert result.success
    tables = {}
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        if "refresh_seconds" in metadata:
            tables[event.asset_key.to_user_string()] = metadata["refresh_seconds"].value
    return Figure(rows, name, seconds, tables=tables)


def _checksums(url: str) -> dict[str, tuple[int, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            every = warehouse_checksums(conn, TABLES)
        return {name: every[name] for name in TABLES}
    finally:
        engine.dispose()


def _drop_derived(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            forget(conn, TABLES)
    finally:
        engine.dispose()


def bench(rows: int, pg: str) -> list[Figure]:
    work = OUT / f"kpis-{rows}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "home").mkdir(parents=True)
    generate(work / "data", faturamento_rows=rows)
    database = f"synapse_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = f"{pg}/{database}".replace("postgresql://", "postgresql+psycopg://")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(work / "home"),
        "SYNAPSE_DATABASE_URL": url,
        "SYNAPSE_DATA_DIR": str(work / "data"),
        "SYNAPSE_STATE_DIR": str(work / "state"),
    }
    (work / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    materialize = [str(BIN / "dagster"), "asset", "materialize", "-m", "synapse_pipeline.definitions"]
    try:
        _command([*materialize, "--select", "estoque_raw,faturamento_raw,clientes,estoque"], env)
        _command([*materialize, "--select", "faturamento", "--partition-range", "2024-01-01...2025-08-01"], env)
        os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
        with dg.DagsterInstance.get() as instance:
            first = _refresh(rows, "first build (every table from scratch)", url, instance)
            _command([*materialize, "--select", "faturamento", "--partition", MONTH], env)
            incremental = _refresh(rows, f"refresh after {MONTH[:7]} re-loaded (incremental)", url, instance)
            refreshed = _checksums(url)
            _drop_derived(url)
            rebuild = _refresh(rows, "reference: full rebuild in the same state", url, instance)
            assert _checksums(url) == refreshed, "the incremental refresh and the rebuild differ"
    finally:
        with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(work / "data", ignore_errors=True)
    figures = [rebuild, first, incremental]
    for figure in figures:
        figure.ratio = round(figure.seconds / rebuild.seconds, 3)
    return figures


@click.command(help=__doc__)
@click.option("--rows", type=int, multiple=True, default=(1_000_000, 10_000_000), show_default=True, help="repeatable")
@click.option("--pg", default="postgresql://postgres@127.0.0.1:5432", show_default=True, help="server URL, no database")
def main(rows: tuple[int, ...], pg: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results: list[Figure] = []
    verdicts: list[str] = []
    for count in rows:
        figures = bench(count, pg)
        results += figures
        print(f"\n{count:,} faturamento rows (incremental and rebuild: identical checksums)")
        width = max(len(f.name) for f in figures)
        print(f"{'':<{width}} {'seconds':>9} {'x rebuild':>10}")
        for f in figures:
            print(f"{f.name:<{width}} {f.seconds:>9.2f} {f.ratio:>10.3f}")
        print("each table, seconds (rebuild / incremental):")
        for table, seconds in figures[0].tables.items():
            print(f"  {table:<24} {seconds:>8.2f} {figures[2].tables.get(table, 0.0):>8.2f}")
        met = figures[2].seconds <= TARGET_SECONDS
        verdicts.append(
            f"{'met' if met else 'NOT MET':>7}  {count:,}: current {figures[2].seconds:.2f} s after one month "
            f"(at most {TARGET_SECONDS:.0f} s)"
        )
    print("\ntargets")
    print("\n".join(verdicts))
    target = OUT / "kpis.json"
    target.write_text(json.dumps({"figures": [asdict(f) for f in results], "targets": verdicts}, indent=2))
    print(f"\nwritten to {target}")


if __name__ == "__main__":
    main()
