"""Daemon benchmark: the sample dropped into an empty data folder, to the last report in a reader's mail.

A real `dagster-daemon run -w workspace.yaml` on a fresh embedded instance (the root dagster.yaml's settings) and
warehouse with one reader, as `dagster dev` runs it; nothing is typed between the drop and the mail. Printed in one
run, each beside its reference:
  - drop to the last email, against the issue's 90 s and against the runs' own work (their durations added up);
  - each run of the chain: when it was started after the drop, its seconds, and the wait before it (a sensor's or
    the automation's tick, the daemon launching it): what the chain spends between the runs.
Written as JSON to benchmarks/out/daemon.json.

Usage: .venv/bin/python benchmarks/bench_daemon.py [--repeat 2]
Not part of the test suite.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import dagster as dg

from synapse_pipeline.delivery.users import add_user
from synapse_pipeline.settings import PROJECT_ROOT, embedded_dagster_home
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.schema import upgrade_schema

BIN = Path(sys.executable).parent
OUT = PROJECT_ROOT / "benchmarks" / "out"
SAMPLE = PROJECT_ROOT / "data"
TARGET_SECONDS = 90.0
PATIENCE_SECONDS = 900
IN_PROGRESS = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def _reports_in(data: Path) -> int:
    """How many reports the sample makes: one per billed month (the months of its billing file's dates)."""
    (billing,) = data.glob("faturamento*.csv")
    lines = billing.read_text(encoding="utf-8").splitlines()
    at = lines[0].split("|").index("data")
    return len({line.split("|")[at][:7] for line in lines[1:] if line})


def _stop(process: subprocess.Popen, state: Path) -> None:
    """The daemon, its code server and any run still going (each names the state folder in its environment)."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if str(state).encode() in (entry / "environ").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass


def drop_to_mail(work: Path) -> dict[str, object]:
    """One drop of the sample under a fresh daemon: the seconds to the last email, and the chain's runs."""
    state, data = work / "state", work / "data"
    data.mkdir(parents=True)
    os.environ["SYNAPSE_STATE_DIR"] = str(state)  # embedded_dagster_home: this state folder's
    env = {**os.environ, "SYNAPSE_DATA_DIR": str(data), "DAGSTER_HOME": str(embedded_dagster_home())}
    env.pop("SYNAPSE_DATABASE_URL", None)
    dg.DagsterInstance.from_config(env["DAGSTER_HOME"]).dispose()  # its storage made before the daemon starts
    engine = make_engine(f"sqlite:///{state / 'synapse.db'}")
    upgrade_schema(engine)
    with engine.begin() as conn:
        reader = add_user(conn, username="ana", email="ana@example.com", password="bench-password-1").id
    engine.dispose()
    expected = _reports_in(SAMPLE)
    outbox = state / "outbox"
    with (state / "daemon.log").open("ab") as log:
        process = subprocess.Popen(
            [BIN / "dagster-daemon", "run", "-w", "workspace.yaml"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            time.sleep(10)  # the daemon up and its code server loaded, as on a machine where it was already running
            dropped = time.time()
            for export in SAMPLE.iterdir():
                shutil.copy(export, data / export.name)
            while len(list(outbox.glob(f"*--{reader}.eml")) if outbox.exists() else []) < expected:
                if time.time() - dropped > PATIENCE_SECONDS:
                    raise click.ClickException(f"no {expected} emails after {PATIENCE_SECONDS} s: see {log.name}")
                time.sleep(0.5)
            seconds = time.time() - dropped
            with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:  # the last runs end, not killed
                while instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
                    time.sleep(0.5)
        finally:
            _stop(process, state)
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        records = sorted(instance.get_run_records(), key=lambda record: record.start_time or 0)
    runs, last_end = [], dropped
    for record in records:
        start, end = record.start_time or record.create_timestamp.timestamp(), record.end_time or time.time()
        runs.append(
            {
                "job": record.dagster_run.job_name,
                "assets": sorted(key.to_user_string() for key in record.dagster_run.asset_selection or ()),
                "status": record.dagster_run.status.value,
                "started_after_drop": round(start - dropped, 1),
                "seconds": round(end - start, 1),
                "wait_before": round(start - last_end, 1),
            }
        )
        last_end = max(last_end, end)
    work_seconds = sum(run["seconds"] for run in runs)
    return {"drop_to_last_email": round(seconds, 1), "runs_work": round(work_seconds, 1), "runs": runs}


@click.command()
@click.option("--repeat", default=1, show_default=True, help="Drops, each on a fresh instance and warehouse.")
@click.option("--keep", is_flag=True, help="Keep each drop's folder (instance, warehouse, daemon log) to look into.")
def main(repeat: int, keep: bool) -> None:
    results = []
    for attempt in range(repeat):
        work = Path(tempfile.mkdtemp(prefix="synapse-bench-daemon-"))
        try:
            result = drop_to_mail(work)
        finally:
            if keep:
                click.echo(f"drop {attempt + 1} kept in {work}")
            else:
                shutil.rmtree(work)
        results.append(result)
        click.echo(f"\ndrop {attempt + 1}: the sample to the last email, under a fresh dagster-daemon")
        click.echo(f"  {'run':<22} {'after drop':>10} {'seconds':>8} {'wait before':>12}")
        for run in result["runs"]:
            assets = f" ({', '.join(run['assets'])})" if run["job"].startswith("__") else ""
            click.echo(
                f"  {run['job']:<22} {run['started_after_drop']:>9.1f}s {run['seconds']:>7.1f}s "
                f"{run['wait_before']:>11.1f}s  {run['status'].lower()}{assets}"
            )
        total, work_seconds = result["drop_to_last_email"], result["runs_work"]
        ratio = total / TARGET_SECONDS
        click.echo(f"  drop to last email   {total:7.1f} s   target {TARGET_SECONDS:.0f} s: {ratio:.2f}x")
        click.echo(f"  the runs' own work   {work_seconds:7.1f} s   chain / work: {total / work_seconds:.2f}x")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "daemon.json").write_text(json.dumps({"target_seconds": TARGET_SECONDS, "drops": results}, indent=2))


if __name__ == "__main__":
    main()
