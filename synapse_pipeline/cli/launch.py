"""Runs launched with their origin, as the UI launches them, and waited for.

A run created through the code location carries its origin: it is on its job's page and on the Overview timeline,
like the daemon's runs. `synapse` loads the code location of workspace.yaml once, in its own process, creates each
run through it, and executes the run in a child process forked from itself: the child starts with the definitions
already imported, where a code server (`dagster job launch`) loads them once for the server and again in a fresh
process for every run, seconds each time. The run stays a process of its own, as a launched run is: its output
goes nowhere (its event log is in the instance), and a child that dies mid-run leaves its run marked failed.
"""

import os
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack

import dagster as dg
from dagster._cli.job import _create_run
from dagster._cli.workspace.cli_target import get_remote_job_from_remote_repo, get_remote_repository_from_code_location
from dagster._core.execution.api import execute_run
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.remote_representation.code_location import InProcessCodeLocation
from dagster._core.remote_representation.external import RemoteRepository
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._utils.hosted_user_process import recon_job_from_origin

from synapse_pipeline.delivery.alerts import run_failure_text, step_failure_text
from synapse_pipeline.settings import CODE_LOCATION_NAME, PROJECT_ROOT

WORKSPACE = PROJECT_ROOT / "workspace.yaml"
# How often a run watched on a terminal is looked at (its seconds and a load's progress): each look reads the run's
# event log, which takes the CPU the run itself would use on a busy machine. Unwatched, the command only waits.
WATCH_SECONDS = 0.5
ENDED_SECONDS = 0.02  # how soon a watched run's end is noticed: a look at its process, no storage read
LAUNCHED_BY_TAG = "synapse/launched_by"


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
    """Launches runs of the project's jobs through the code location of workspace.yaml, loaded at the first launch,
    and waits for each run to end."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self._open = ExitStack()
        self._location: tuple[InProcessCodeLocation, RemoteRepository] | None = None
        # Where a run's process writes: its event log is in the instance (the UI, `--verbose`), not the terminal.
        self.output = self._open.enter_context(open(os.devnull, "w"))  # noqa: SIM115 (closed with us)

    def __enter__(self) -> "Launcher":
        return self

    def __exit__(self, *_: object) -> None:
        self._open.close()

    def _code_location(self) -> tuple[InProcessCodeLocation, RemoteRepository]:
        """The code location workspace.yaml names (its module, working directory and name), loaded here."""
        if self._location is None:
            (origin,) = WorkspaceFileTarget(paths=[str(WORKSPACE)]).create_origins()
            here = InProcessCodeLocationOrigin(
                loadable_target_origin=origin.loadable_target_origin,  # type: ignore[attr-defined]
                location_name=origin.location_name,
            )
            try:
                location = self._open.enter_context(InProcessCodeLocation(here, instance=self.instance))
            except dg.DagsterUserCodeLoadError as error:
                raise LaunchError(f"the code location {CODE_LOCATION_NAME} could not be loaded:\n{error}") from error
            self._location = location, get_remote_repository_from_code_location(location, None)
        return self._location

    def run(
        self,
        job: str,
        *,
        tags: dict[str, str] | None = None,
        config: dg.RunConfig | None = None,
        waiting: Callable[[dg.DagsterRun], None] | None = None,
    ) -> dg.DagsterRun:
        """Launch one run of `job` and return it once it has ended (successfully or not); `waiting` is called with
        the run every WATCH_SECONDS meanwhile. The run's process ending is what says the run has ended: its status
        is read once, then."""
        location, repository = self._code_location()
        try:
            created = _create_run(
                instance=self.instance,
                code_location=location,
                remote_repo=repository,
                remote_job=get_remote_job_from_remote_repo(repository, job),
                run_config=config.to_config_dict() if config else {},
                tags={LAUNCHED_BY_TAG: "synapse", **(tags or {})},
                op_selection=None,
                run_id=None,
            )
        except dg.DagsterError as error:
            raise LaunchError(f"{job} could not be launched:\n{error}") from error
        child = self._execute(created)
        if waiting is None:
            os.waitpid(child, 0)
        else:
            look = time.monotonic()
            while not os.waitpid(child, os.WNOHANG)[0]:
                if time.monotonic() >= look:
                    waiting(created)
                    look = time.monotonic() + WATCH_SECONDS
                time.sleep(ENDED_SECONDS)
        run = self.instance.get_run_by_id(created.run_id) or created
        if not run.is_finished:  # its process died (killed, out of memory) before it could say how the run ended
            self.instance.report_run_failed(run)
            run = self.instance.get_run_by_id(run.run_id) or run
        return run

    def _execute(self, run: dg.DagsterRun) -> int:
        """Fork a child that executes `run` on its own connection to the instance, and return its process id."""
        job = recon_job_from_origin(run.job_code_origin)  # type: ignore[arg-type]
        sys.stdout.flush()
        sys.stderr.flush()
        child = os.fork()
        if child:
            return child
        status = 1
        try:
            os.dup2(self.output.fileno(), 1)
            os.dup2(self.output.fileno(), 2)
            with dg.DagsterInstance.from_ref(self.instance.get_ref()) as instance:
                execute_run(job, instance.get_run_by_id(run.run_id), instance)  # type: ignore[arg-type]
            status = 0
        finally:
            os._exit(status)  # nothing of the parent's (its connections, its exit handlers) runs in the child


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
