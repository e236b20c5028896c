"""Every set-up mistake, as a person makes it: the real `synapse` command in a subprocess answers in one sentence on
standard error with exit status 1 (click's usage errors: 2), never a traceback unless asked for with `--verbose`."""

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import URL

from synapse_pipeline.settings import DATA_DIR_ENV, DATABASE_URL_ENV, PROJECT_ROOT, STATE_DIR_ENV
from synapse_pipeline.warehouse.database import make_engine, masked
from synapse_pipeline.warehouse.models import Report, ReportEmail
from synapse_pipeline.warehouse.schema import upgrade_schema

SYNAPSE = [sys.executable, "-m", "synapse_pipeline.cli.main"]
UNREACHABLE = "postgresql://postgres:s3cret@127.0.0.1:1/x"  # nothing listens on port 1
REPORT = "relatorio-mensal-2025-07"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh checkout's environment: none of the session's Dagster or Synapse settings, the state in tmp_path."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME" and not k.startswith("SYNAPSE_")}
    env[STATE_DIR_ENV] = str(tmp_path / "state")
    return env


def synapse(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SYNAPSE, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)


def assert_says(said: subprocess.CompletedProcess[str], sentence: str, status: int = 1) -> None:
    """The command ended with `status` and `sentence` as the first line of standard error, with no traceback."""
    assert (said.returncode, said.stderr.splitlines()[:1]) == (status, [sentence]), said.stderr
    assert "Traceback" not in said.stdout + said.stderr


def store_report(env: dict[str, str]) -> None:
    """One stored report, with its mail form, in the embedded warehouse of `env`'s state directory."""
    engine = make_engine(f"sqlite:///{env[STATE_DIR_ENV]}/synapse.db")
    upgrade_schema(engine)
    with engine.begin() as conn:
        report_id = conn.execute(insert(Report).values(name=REPORT, content="<html></html>")).inserted_primary_key[0]
        conn.execute(insert(ReportEmail).values(report_id=report_id, message="Subject: julho\n\njulho\n"))
    engine.dispose()


def test_an_unexpected_error_is_one_line_and_its_traceback_comes_with_verbose(env: dict[str, str]) -> None:
    env["DAGSTER_HOME"] = "."  # Dagster refuses a relative DAGSTER_HOME with an error of its own
    sentence = (
        'synapse: $DAGSTER_HOME "." must be an absolute path. Dagster requires this environment variable to be set '
        "to an existing directory in your filesystem."
    )
    said = synapse(env, "run")
    assert said.stderr == sentence + "\n"
    assert_says(said, sentence)
    for verbose in (["--verbose", "run"], ["run", "--verbose"]):  # the group's option and the command's alike
        said = synapse(env, *verbose)
        assert said.returncode == 1 and said.stderr.startswith("Traceback"), said.stderr
        assert said.stderr.splitlines()[-1] == sentence


def test_click_usage_errors_keep_status_2(env: dict[str, str], tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.touch()
    for args in (["frobnicate"], ["generate-data", "--out", str(a_file)]):  # an unknown command, a bad value
        said = synapse(env, *args)
        assert said.returncode == 2 and said.stderr.startswith("Usage: synapse"), said.stderr
        assert "Traceback" not in said.stderr


@pytest.mark.parametrize("command", ["summary", "users list"])
def test_an_unreachable_database_is_named_with_the_servers_reason(env: dict[str, str], command: str) -> None:
    env[DATABASE_URL_ENV] = UNREACHABLE
    said = synapse(env, *command.split())
    assert said.stderr == (
        "synapse: cannot connect to the database postgresql://postgres:***@127.0.0.1:1/x: connection refused\n"
    )
    assert_says(said, said.stderr.strip())
    assert "s3cret" not in said.stdout + said.stderr


@pytest.mark.parametrize("command", ["summary", "users list"])
def test_a_role_the_server_does_not_know_is_refused_in_the_servers_words(
    env: dict[str, str], pg_server: URL, command: str
) -> None:
    stranger = pg_server.set(username="synapse_no_such_role", password=None)
    env[DATABASE_URL_ENV] = stranger.render_as_string(hide_password=False)
    said = synapse(env, *command.split())
    sentence = f'synapse: cannot connect to the database {masked(stranger)}: role "synapse_no_such_role" does not exist'
    assert said.stderr == sentence + "\n"
    assert_says(said, sentence)


@pytest.mark.parametrize("command", ["summary", "run"])  # `run` checks before it launches anything
def test_a_database_kind_the_project_does_not_support_is_named(env: dict[str, str], command: str) -> None:
    env[DATABASE_URL_ENV] = "mysql://u:s3cret@h/db"
    sentence = (
        "synapse: SYNAPSE_DATABASE_URL: unsupported database kind 'mysql' (mysql://u:***@h/db): "
        "the warehouse is postgresql or sqlite"
    )
    said = synapse(env, *command.split())
    assert said.stderr == sentence + "\n"
    assert_says(said, sentence)


def test_export_into_a_missing_folder_or_onto_a_folder_says_so(env: dict[str, str], tmp_path: Path) -> None:
    said = synapse(env, "reports", "export", REPORT, "/no/such/dir/x.html")
    assert said.stderr == "synapse: the folder /no/such/dir does not exist\n"
    assert_says(said, said.stderr.strip())

    store_report(env)
    said = synapse(env, "reports", "export", REPORT, str(tmp_path))  # a folder where the file should go
    assert said.stderr == f"synapse: {tmp_path} cannot be written: is a directory\n"
    assert_says(said, said.stderr.strip())
    exported = tmp_path / "julho.html"
    assert synapse(env, "reports", "export", REPORT, str(exported)).returncode == 0
    assert exported.read_text() == "<html></html>"


def test_run_names_a_missing_data_folder(env: dict[str, str]) -> None:
    env[DATA_DIR_ENV] = "/no/such/folder"
    said = synapse(env, "run")
    assert (
        said.stderr
        == "synapse: the folder /no/such/folder does not exist (SYNAPSE_DATA_DIR, where the exports arrive)\n"
    )
    assert_says(said, said.stderr.strip())


def test_a_missing_dagster_home_is_named(env: dict[str, str]) -> None:
    env["DAGSTER_HOME"] = "/no/such/home"
    said = synapse(env, "deliver")  # as `run`: both open the instance alike
    assert (
        said.stderr
        == "synapse: the folder /no/such/home does not exist (DAGSTER_HOME): create it, or unset DAGSTER_HOME\n"
    )
    assert_says(said, said.stderr.strip())


def test_the_production_instance_without_its_database_variable_says_which(env: dict[str, str]) -> None:
    env["DAGSTER_HOME"] = str(PROJECT_ROOT / "deploy")  # the README's production instance
    env.pop("SYNAPSE_DAGSTER_PG_URL", None)
    said = synapse(env, "deliver")
    sentence = (
        f"synapse: the Dagster instance's settings ({PROJECT_ROOT}/deploy/dagster.yaml) cannot be used: "
        "the environment variable SYNAPSE_DAGSTER_PG_URL is not set"
    )
    assert said.stderr == sentence + "\n"
    assert_says(said, sentence)


@pytest.mark.slow
def test_deliver_on_an_empty_dagster_home_uses_dagsters_defaults(env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "dagster-home"  # as Dagster's docs say: an empty folder, no dagster.yaml
    home.mkdir()
    env["DAGSTER_HOME"] = str(home)
    store_report(env)
    said = synapse(env, "deliver")
    assert said.returncode == 0, said.stderr
    assert said.stdout.startswith(f"{REPORT}: sent to 0,"), said.stdout
    assert "Traceback" not in said.stderr
    assert not (home / "dagster.yaml").exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:  # the run is in that folder's storage
        assert [(r.job_name, r.status) for r in instance.get_runs()] == [
            ("deliver_reports_job", dg.DagsterRunStatus.SUCCESS)
        ]


@pytest.mark.slow
def test_run_on_an_unreachable_warehouse_prints_the_databases_own_message(env: dict[str, str]) -> None:
    env[DATABASE_URL_ENV] = UNREACHABLE
    said = synapse(env, "run")
    first, *reasons = said.stderr.splitlines()
    assert said.returncode == 1 and first.startswith("ingest_job did not succeed (run "), said.stderr
    assert reasons == [
        "Error executing resource_fn on ResourceDefinition warehouse: connection failed: "
        'connection to server at "127.0.0.1", port 1 failed: Connection refused'
    ]
    assert "Traceback" not in said.stdout + said.stderr and "s3cret" not in said.stdout + said.stderr


def _run_worker(command: int) -> int | None:
    """The process executing a run (`synapse` forks one per run), if any."""
    listing = subprocess.run(["ps", "-o", "pid=,ppid=", "-g", str(command)], capture_output=True, text=True)
    for line in listing.stdout.splitlines():
        pid, parent = map(int, line.split())
        if parent == command:
            return pid
    return None


@pytest.mark.slow
def test_a_run_killed_from_outside_says_what_to_do_next(env: dict[str, str]) -> None:
    running = subprocess.Popen(
        [*SYNAPSE, "run"],
        cwd=PROJECT_ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while (worker := _run_worker(running.pid)) is None and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker is not None, "ingest_job's run worker never started"
        os.kill(worker, signal.SIGKILL)
        out, err = running.communicate(timeout=120)
    finally:
        with suppress(ProcessLookupError):  # the command, if still there
            os.killpg(running.pid, signal.SIGKILL)
    first, *then = err.splitlines()
    assert running.returncode == 1 and first.startswith("ingest_job did not succeed (run "), err
    assert then == [
        "This run has been marked as failed from outside the execution context.",
        "The run was stopped before it ended and its unfinished writes were rolled back: run `synapse run` again.",
    ]
    assert " failure " in out.splitlines()[0] and "Traceback" not in out + err
