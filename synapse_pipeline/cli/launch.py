"""Runs launched the way the UI launches them, through the code location, and waited for.

A run launched through a code server carries its origin: it is on its job's page and on the Overview timeline, like
the daemon's runs; one executed in the command's own process is not. `synapse` launches with Dagster's own CLI
(`dagster job launch -w workspace.yaml`) on an instance that shares DAGSTER_HOME's storage and settings but starts
runs at once, where DAGSTER_HOME's would queue them for a daemon that may not be running.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import yaml

from synapse_pipeline.delivery.alerts import run_failure_text, step_failure_text
from synapse_pipeline.settings import PROJECT_ROOT, state_dir

WORKSPACE = PROJECT_ROOT / "workspace.yaml"
DAGSTER = Path(sys.executable).parent / "dagster"
POLL_SECONDS = 0.5
LAUNCHED_BY_TAG = "synapse/launched_by"


def direct_home(home: Path) -> Path:
    """A DAGSTER_HOME beside the state: `home`'s settings and storage, with runs started as they are submitted.

    A home without a dagster.yaml is Dagster's defaults, with its storage in that folder, as Dagster's docs say.
    """
    found = home / "dagster.yaml"
    settings = (yaml.safe_load(found.read_text()) if found.exists() else None) or {}
    # What DAGSTER_HOME's storage defaults to, spelled out, since this instance lives elsewhere.
    settings.setdefault("storage", {"sqlite": {"base_dir": str(home)}})
    settings.setdefault(
        "local_artifact_storage",
        {"module": "dagster._core.storage.root", "class": "LocalArtifactStorage", "config": {"base_dir": str(home)}},
    )
    settings.setdefault(
        "compute_logs",
        {
            "module": "dagster._core.storage.local_compute_log_manager",
            "class": "LocalComputeLogManager",
            "config": {"base_dir": str(home / "storage")},
        },
    )
    settings["run_coordinator"] = {"module": "dagster.core.run_coordinator", "class": "DefaultRunCoordinator"}
    direct = state_dir() / "direct-launch"
    text = yaml.safe_dump(settings, sort_keys=False)
    config = direct / "dagster.yaml"
    if not config.exists() or config.read_text() != text:
        direct.mkdir(parents=True, exist_ok=True)
        config.write_text(text)
    return direct


class LaunchError(Exception):
    """A run could not be launched at all (the code location did not load, bad config)."""


def failure_text(instance: dg.DagsterInstance, run_id: str, rerun: str) -> str:
    """The failed steps of a run and what each said; else the run's own error; else, for a run ended from outside
    (its process killed, the run canceled), Dagster's message and what to do: `rerun` again."""
    lines = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        if record.dagster_event is not None:
            lines.append(f"{record.dagster_event.step_key}: {step_failure_text(record.dagster_event)}")
    if lines:
        return "\n".join(line.strip() for line in lines)
    # The first record: a lost run process may be reported twice, by each of two watchers that noticed it.
    ended = instance.all_logs(run_id, of_type={dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_CANCELED})
    if not ended:
        return ""
    said = run_failure_text(ended[0].dagster_event) if ended[0].dagster_event else ""
    if said:
        return said
    # Nothing failed inside the run: it was stopped from outside, and its unfinished transaction went with it.
    stopped = "The run was stopped before it ended and its unfinished writes were rolled back"
    return f"{ended[0].message.strip()}\n{stopped}: run `{rerun}` again."


class Launcher:
    """Launches runs of the project's jobs on `instance` and waits for each to end."""

    def __init__(self, instance: dg.DagsterInstance, home: Path) -> None:
        self.instance = instance
        self.home = direct_home(home)

    def run(
        self,
        job: str,
        *,
        tags: dict[str, str] | None = None,
        config: dg.RunConfig | None = None,
        waiting: Callable[[dg.DagsterRun], None] | None = None,
    ) -> dg.DagsterRun:
        """Launch one run of `job` and return it once it has ended (successfully or not); `waiting` is called with
        the run at each poll meanwhile."""
        run_id = str(uuid.uuid4())
        command = [str(DAGSTER), "job", "launch", "-w", str(WORKSPACE), "-j", job, "--run-id", run_id]
        command += ["--tags", json.dumps({LAUNCHED_BY_TAG: "synapse", **(tags or {})})]
        if config:
            command += ["--config-json", json.dumps(config.to_config_dict())]
        env = {**os.environ, "DAGSTER_HOME": str(self.home)}
        # The CLI returns only once its code server has seen the run end: watch the run meanwhile. Its output
        # (the run's own event log) is not shown; its errors are kept for a launch that fails.
        with tempfile.TemporaryFile("w+") as errors:
            launching = subprocess.Popen(
                command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=errors, text=True
            )
            while True:
                run = self.instance.get_run_by_id(run_id)
                if run is not None and run.is_finished:
                    break
                if run is None and launching.poll() is not None:
                    errors.seek(0)
                    raise LaunchError(f"{job} could not be launched:\n{errors.read().strip()[-3000:]}")
                if run is not None and waiting is not None:
                    waiting(run)
                time.sleep(POLL_SECONDS)
            launching.wait()
        return run


class LatestMessage:
    """One run's latest log message that starts with `prefix` (a load's progress, what a delivery did for one
    report), without the prefix; empty if none.

    Each call reads only the entries logged since the last one: a run's log grows while it is watched.
    """

    def __init__(self, instance: dg.DagsterInstance, prefix: str) -> None:
        self.instance, self.prefix = instance, prefix
        self.cursor: str | None = None
        self.latest = ""

    def __call__(self, run_id: str) -> str:
        fetched = self.instance.get_records_for_run(run_id, cursor=self.cursor)
        self.cursor = fetched.cursor
        for record in fetched.records:
            entry = record.event_log_entry
            if entry.dagster_event is None and entry.user_message.startswith(self.prefix):
                self.latest = entry.user_message.removeprefix(self.prefix)
        return self.latest
