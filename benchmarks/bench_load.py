"""Load benchmark: the pipeline against two ways psql loads the same file into the same PostgreSQL database.

For each size it generates a billing file (`synapse generate-data`), then in one run times the two references:
  - `psql \\copy`: `psql -c "\\copy ..."` of the file into a table like faturamento, indexed, as the spec's script
    loads it;
  - the psql bulk path: `\\copy` into a bare table, then the same indexes and foreign key (PostgreSQL's advice for
    bulk loads), the floor a load that also validates can approach;
and the pipeline:
  - the validation of both exports (estoque_raw, faturamento_raw, clientes, estoque) as one `dagster asset
    materialize` command;
  - the load of every month, the whole `dagster asset materialize --select faturamento --partition-range` command;
  - the headline: `--select faturamento_raw,faturamento --partition-range ...`, the file validated and every month
    loaded in one command, and, from the metadata, the stages of faturamento_raw (read, clean, validate: the one
    parse of the text, which also writes the validated result) and of the load inside the run (read validated
    result, prepare COPY rows, load = COPY, rebuild indexes, check export unchanged);
  - unless --loads-only, the KPI tables and the forecast (one command each) and the reports of every month
    (in-process, one run per month), on the whole loaded warehouse.
Every command starts after a CHECKPOINT. Each figure is printed with its ratios to both references and the peak RSS
of its process, then the issue's targets (at most 1.5x the bulk path and 1.0x `psql \\copy` at 10M lines, 1 GiB for
every command, each command's peak beside it) met or not; all of it is written as JSON to benchmarks/out/results.json.

Usage: .venv/bin/python benchmarks/bench_load.py [--rows 1000000 10000000] [--loads-only]
       [--pg postgresql://postgres@127.0.0.1:5432]
Not part of the test suite.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import click
import dagster as dg
import psycopg

from synapse_pipeline.sample_data.generator import generate
from synapse_pipeline.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
OUT = PROJECT_ROOT / "benchmarks" / "out"
COLUMNS = (
    "data, cod_cliente, lote, origem, zs_gr_mercad, produto, cod_produto, zs_centro, zs_cidade, zs_uf, "
    'zs_peso_liquido, giro_sku_cliente, "SKU"'
)
WHOLE = "faturamento_raw + every month of faturamento (whole command, validation included)"
LOAD_IN_RUN = "  inside the run: the load, wall"
BULK = "reference: psql \\copy into a bare table, then indexes and key"
TARGET_COPY_RATIO = 1.0  # to `psql \copy` into the indexed table
TARGET_BULK_RATIO = 1.5  # to psql's bulk path
TARGET_RSS_MB = 1024


@dataclass
class Figure:
    rows: int
    name: str
    seconds: float
    ratio: float | None = None  # to `psql \copy` into the indexed table
    peak_rss_mb: float | None = None
    bulk_ratio: float | None = None  # to psql's bulk path


def _checkpoint(env: dict[str, str]) -> None:
    """Write out the server's dirty pages: each command starts alike, none paying for the checkpoints that the WAL of
    the one before it triggers (the 10M loads before the headline command write several GB of it)."""
    url = env["SYNAPSE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def _timed(command: list[str], env: dict[str, str], *, may_fail: bool = False) -> tuple[float, float, bool]:
    """Wall seconds and peak RSS (MB) of a command, run under GNU time for the RSS of its own process tree once the
    server has checkpointed, and whether it succeeded; unless it `may_fail`, a failure ends the benchmark."""
    _checkpoint(env)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", report.name, *command],
            env=env, cwd=PROJECT_ROOT, check=not may_fail, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        return seconds, int(report.read().strip().splitlines()[-1]) / 1024, done.returncode == 0


def _load_metadata(home: Path) -> tuple[float, dict[str, float], dict[str, float], str]:
    """The load's wall seconds inside the run, the stages of faturamento_raw and of the load, and the load's method,
    from the materializations' metadata."""
    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.get() as instance:

        def metadata(asset: str) -> dict:
            return instance.get_latest_materialization_event(dg.AssetKey(asset)).asset_materialization.metadata

        load, raw = metadata("faturamento"), metadata("faturamento_raw")
        return (
            load["load_seconds"].value,
            _stages(raw["stage_seconds"].value),
            _stages(load["stage_seconds"].value),
            load["load_method"].value,
        )


def _stages(table: str) -> dict[str, float]:
    """The seconds per stage of a `stage_seconds` markdown table (its two header lines skipped, unescaped)."""
    cells = [line.strip("| ").split(" | ") for line in table.splitlines()[2:]]
    return {stage.replace("\\", ""): float(seconds.replace("\\", "")) for stage, seconds in cells}


def bench(rows: int, pg: str, loads_only: bool) -> list[Figure]:
    work = OUT / f"{rows}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "data").mkdir(parents=True)
    (work / "home").mkdir()
    files = generate(work / "data", faturamento_rows=rows)
    database = f"synapse_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = f"{pg}/{database}"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(work / "home"),
        "SYNAPSE_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
        "SYNAPSE_DATA_DIR": str(work / "data"),
        "SYNAPSE_STATE_DIR": str(work / "state"),
    }
    (work / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    figures: list[Figure] = []
    try:
        materialize = [str(BIN / "dagster"), "asset", "materialize", "-m", "synapse_pipeline.definitions"]
        # Schema and clientes first (the reference tables need the schema; the loads need clientes).
        seconds, rss, _ = _timed([*materialize, "--select", "estoque_raw,faturamento_raw,clientes,estoque"], env)
        figures.append(Figure(rows, "validate both exports + clientes + estoque (command)", seconds, None, rss))

        with psycopg.connect(url, autocommit=True) as conn:  # faturamento's indexes and foreign key, as the spec loads
            conn.execute("CREATE TABLE faturamento_copy (LIKE faturamento INCLUDING DEFAULTS INCLUDING INDEXES)")
            conn.execute("ALTER TABLE faturamento_copy ADD FOREIGN KEY (cod_cliente) REFERENCES clientes")
        options = "FORMAT csv, HEADER true, DELIMITER '|'"
        copy = f"\\copy faturamento_copy({COLUMNS}) FROM '{files.faturamento}' WITH ({options})"
        baseline, rss, _ = _timed(["psql", "-q", "-d", url, "-c", copy], env)
        figures.insert(0, Figure(rows, "reference: psql \\copy into the indexed table", baseline, 1.0, rss))
        # For reference, psql the bulk way too: into a bare table, then the same indexes and foreign key.
        bare = [
            "CREATE TABLE faturamento_bare (LIKE faturamento INCLUDING DEFAULTS)",
            copy.replace("faturamento_copy", "faturamento_bare"),
            "ALTER TABLE faturamento_bare ADD PRIMARY KEY (id)",
            "CREATE INDEX ON faturamento_bare (data)",
            "CREATE INDEX ON faturamento_bare (cod_cliente)",
            "ALTER TABLE faturamento_bare ADD FOREIGN KEY (cod_cliente) REFERENCES clientes",
        ]
        bulk, rss, _ = _timed(["psql", "-q", "-d", url, *(a for c in bare for a in ("-c", c))], env)
        figures.insert(1, Figure(rows, BULK, bulk, None, rss))

        months = ["--partition-range", "2024-01-01...2025-08-01"]
        seconds, rss, _ = _timed([*materialize, "--select", "faturamento", *months], env)
        figures.append(Figure(rows, "faturamento, every month (whole command)", seconds, None, rss))
        # The headline: the file validated by faturamento_raw and every month loaded, in one command.
        seconds, rss, _ = _timed([*materialize, "--select", "faturamento_raw,faturamento", *months], env)
        figures.append(Figure(rows, WHOLE, seconds, None, rss))
        load, raw_stages, stages, method = _load_metadata(work / "home")
        figures.append(Figure(rows, "  the rest: start-up, faturamento_raw, run overhead", seconds - load))
        for stage, value in raw_stages.items():
            figures.append(Figure(rows, f"    faturamento_raw stage: {stage}", value))
        figures.append(Figure(rows, f"{LOAD_IN_RUN} ({method.split(':')[0]})", load))
        for stage, value in stages.items():
            figures.append(Figure(rows, f"    stage: {stage}", value))
        figures.append(Figure(rows, "    stages added up (they overlap)", sum(stages.values())))
        if not loads_only:
            figures += _downstream(rows, materialize, env)

        with psycopg.connect(url) as conn:
            loaded = conn.execute("SELECT count(*) FROM faturamento").fetchone()[0]
            copied = conn.execute("SELECT count(*) FROM faturamento_copy").fetchone()[0]
        assert loaded == copied == files.faturamento_lines, (loaded, copied, files.faturamento_lines)
    finally:
        with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(work / "data", ignore_errors=True)
    for figure in figures:
        figure.ratio = round(figure.seconds / baseline, 2)
        figure.bulk_ratio = round(figure.seconds / bulk, 2)
    return figures


def _downstream(rows: int, materialize: list[str], env: dict[str, str]) -> list[Figure]:
    """The KPI tables, the forecast and the reports of every month, after the load."""
    seconds, rss, _ = _timed([*materialize, "--select", "group:kpis"], env)
    figures = [Figure(rows, "KPI tables (command)", seconds, None, rss)]
    # Generated billing is noise around a trend: the model may not beat naive there, and its blocking check then
    # fails the command after every table is written. Its time and memory are what is measured.
    seconds, rss, succeeded = _timed([*materialize, "--select", "group:forecast"], env, may_fail=True)
    checked = "" if succeeded else ", a blocking check failed"
    figures.append(Figure(rows, f"forecast: demand, backtest, forecast, advice (command{checked})", seconds, None, rss))
    reports = (
        "import dagster as dg\n"
        "from synapse_pipeline.definitions import defs\n"
        "from synapse_pipeline.ingest.partitions import monthly_partitions\n"
        "job = defs.resolve_job_def('relatorio_job')\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    for key in monthly_partitions.get_partition_keys(dynamic_partitions_store=instance):\n"
        "        job.execute_in_process(instance=instance, partition_key=key)\n"
    )
    seconds, rss, _ = _timed([sys.executable, "-c", reports], env)
    figures.append(Figure(rows, "reports, 20 months (in-process)", seconds, None, rss))
    return figures


def targets(results: list[Figure]) -> list[str]:
    """The issue's targets at 10M lines, each with its figures and whether this run met it (smaller runs: shown)."""
    lines = []
    for figure in results:
        if figure.name == WHOLE:
            what = f"{figure.rows:,}: {WHOLE}"
            lines.append(_target(f"{what}, x psql bulk path", figure.bulk_ratio, TARGET_BULK_RATIO, figure.rows))
            lines.append(_target(f"{what}, x psql \\copy", figure.ratio, TARGET_COPY_RATIO, figure.rows))
    for rows in sorted({f.rows for f in results}):
        peak = max(f.peak_rss_mb or 0 for f in results if f.rows == rows)
        lines.append(_target(f"{rows:,}: peak RSS (MB) of every command", round(peak), TARGET_RSS_MB, rows))
        for f in results:
            if f.rows == rows and f.peak_rss_mb is not None and not f.name.startswith("reference"):
                lines.append(_target(f"{rows:,}: peak RSS (MB), {f.name}", round(f.peak_rss_mb), TARGET_RSS_MB, rows))
    return lines


def _target(what: str, value: float | None, limit: float, rows: int) -> str:
    met = value is not None and value <= limit
    verdict = ("met" if met else "NOT MET") if rows >= 10_000_000 else "(shown)"
    return f"{verdict:>7}  {what}: {value} (at most {limit})"


@click.command(help=__doc__)
@click.option("--rows", type=int, multiple=True, help="sizes: --rows 1000000 10000000  [default: 1M, 10M]")
@click.argument("more_rows", type=int, nargs=-1)
@click.option("--loads-only", is_flag=True, help="leave out the KPI tables and the reports")
@click.option("--pg", default="postgresql://postgres@127.0.0.1:5432", show_default=True, help="server URL, no database")
def main(rows: tuple[int, ...], more_rows: tuple[int, ...], loads_only: bool, pg: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results: list[Figure] = []
    for count in (*rows, *more_rows) or (1_000_000, 10_000_000):
        figures = bench(count, pg, loads_only)
        results += figures
        print(f"\n{count:,} faturamento rows")
        width = max(len(f.name) for f in figures)
        print(f"{'':<{width}} {'seconds':>9} {'x copy':>7} {'x bulk':>7} {'peak RSS MB':>12}")
        for f in figures:
            rss = f"{f.peak_rss_mb:,.0f}" if f.peak_rss_mb is not None else ""
            print(f"{f.name:<{width}} {f.seconds:>9.2f} {f.ratio:>7.2f} {f.bulk_ratio:>7.2f} {rss:>12}")
    verdicts = targets(results)
    print("\ntargets")
    print("\n".join(verdicts))
    target = OUT / "results.json"
    target.write_text(json.dumps({"figures": [asdict(f) for f in results], "targets": verdicts}, indent=2))
    print(f"\nwritten to {target}")


if __name__ == "__main__":
    main()
