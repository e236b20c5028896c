"""`synapse run` as a person runs it: the first run does everything, a second with the same exports does nothing
and says so on one line, `--force` does everything again; each run is recorded with its job's origin. What makes
the last run not current (a new export, a failed run, a migration, another warehouse, a missing report) is found
from the instance's records and the warehouse, the way the command decides."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import delete

from synapse_pipeline.cli.current import verdict
from synapse_pipeline.cli.run import RUN_JOBS
from synapse_pipeline.settings import CODE_LOCATION_NAME, DATA_DIR_ENV, PROJECT_ROOT, STATE_DIR_ENV
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.models import Report
from synapse_pipeline.warehouse.schema import downgrade_schema, upgrade_schema

pytestmark = pytest.mark.slow  # the whole sample through Dagster, three times

SYNAPSE = [sys.executable, "-m", "synapse_pipeline.cli.main"]


def synapse(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    said = subprocess.run([*SYNAPSE, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert said.returncode == 0, said.stderr
    return said


def test_a_second_run_with_the_same_exports_does_nothing_and_force_does_everything(
    data_dir: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME" and not k.startswith("SYNAPSE_")}
    env |= {STATE_DIR_ENV: str(tmp_path / "state"), DATA_DIR_ENV: str(data_dir)}
    home = tmp_path / "state" / "dagster"
    url = f"sqlite:///{tmp_path / 'state' / 'synapse.db'}"

    first = synapse(env, "run").stdout.splitlines()
    assert [line.split()[-5] for line in first[:6]] == ["success"] * 6, first
    again = synapse(env, "run").stdout.splitlines()
    assert len(again) == 1 and again[0].startswith("nothing to do: estoque 1.csv, faturamento 1.csv unchanged;"), again
    assert "(6 runs, " in again[0] and "20 reports" in again[0] and "--force" in again[0]
    forced = synapse(env, "run", "--force").stdout.splitlines()
    assert [line.split()[-5] for line in forced[:6]] == ["success"] * 6, forced

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert sorted(run.job_name for run in runs) == sorted(RUN_JOBS * 2)
        for run in runs:  # what puts a run on its job's page and the timeline in the UI
            origin = run.remote_job_origin
            assert origin is not None and origin.location_name == CODE_LOCATION_NAME, run.job_name
            assert origin.repository_origin.repository_name == "__repository__"
            assert run.job_code_origin is not None

        def said() -> str:
            found = verdict(instance, data_dir, url, RUN_JOBS)
            return "" if found.current else found.said

        assert said() == ""
        engine = make_engine(url)
        # A migration the warehouse has not had (here: one undone) is work to do.
        downgrade_schema(engine, "0002")
        assert said() == "the warehouse is at schema revision 0002, the code at 0003"
        upgrade_schema(engine)
        assert said() == ""  # back at the revision the runs were made on
        # A report gone from the warehouse.
        with engine.begin() as conn:
            conn.execute(delete(Report).where(Report.name == "relatorio-mensal-2025-07"))
        assert said() == "1 report(s) missing from the warehouse: relatorio-mensal-2025-07"
        engine.dispose()
        # Another warehouse, at the newest revision but never written by these runs.
        other = f"sqlite:///{tmp_path / 'other.db'}"
        other_engine = make_engine(other)
        upgrade_schema(other_engine)
        other_engine.dispose()
        found = verdict(instance, data_dir, other, RUN_JOBS)
        assert found.said == "the last ingest_job run was not made on this warehouse at schema revision 0003"
        # A failed run of one of the jobs, after the good one.
        failed = instance.add_run(dg.DagsterRun(job_name="kpi_job", status=dg.DagsterRunStatus.FAILURE))
        assert said().startswith(f"the last kpi_job run ({failed.run_id[:8]}) did not succeed")
        # A new export: another sha256 than the one the raw asset validated.
        export = data_dir / "estoque 1.csv"
        lines = export.read_bytes().splitlines(keepends=True)
        export.write_bytes(b"".join(lines[:-1]))  # one line less
        assert said() == "estoque 1.csv changed since it was validated"
        # A file dropped beside them: the ingest run would not find the same files (here: two estoque exports).
        export.write_bytes(b"".join(lines))
        (data_dir / "estoque 2.csv").write_bytes(b"".join(lines))
        assert said() == f"files were added to, removed from or renamed in {data_dir} since the exports were validated"
