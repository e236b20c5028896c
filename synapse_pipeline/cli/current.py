"""Whether `synapse run` has anything to do, decided from what Dagster already recorded of the last one.

Everything is current when the exports are the files the raw assets last validated (by sha256), the latest run of
each of the command's jobs succeeded, each after the one before it ended, on this warehouse at this schema
revision, no later run made or tried to make any of their assets, and every report they rendered is stored.
Anything else (a failed or missing run, a new export, a migration, another warehouse, a deleted report) is work.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log.base import AssetRecord
from sqlalchemy import select

from synapse_pipeline.lib.metadata_keys import EXPORT_PATH_KEY, SHA256_KEY, WITHDRAWN_KEY
from synapse_pipeline.reports.model import report_name
from synapse_pipeline.warehouse.database import make_engine, masked
from synapse_pipeline.warehouse.models import Report
from synapse_pipeline.warehouse.schema import head, warehouse_revision

WAREHOUSE_TAG = "synapse/warehouse"  # a digest of the warehouse's URL (password hidden) the run wrote to
SCHEMA_TAG = "synapse/schema"  # the schema revision the run brought the warehouse to
REPORT_JOB = "relatorio_job"


def run_tags(url: str) -> dict[str, str]:
    """The tags every run of `synapse run` carries: which warehouse, at which schema revision."""
    return {WAREHOUSE_TAG: hashlib.sha256(masked(url).encode()).hexdigest()[:16], SCHEMA_TAG: head()}


@dataclass(frozen=True)
class Verdict:
    """Whether everything is current, and in one line what was found (or the first thing that is not)."""

    current: bool
    said: str


class NotCurrent(Exception):
    """Something `synapse run` makes is not current: the message says what."""


def _latest_runs(instance: dg.DagsterInstance, jobs: tuple[str, ...], tags: dict[str, str]) -> list[dg.RunRecord]:
    """The latest run of each job, in order, or a NotCurrent saying which is missing, failed or out of order."""
    found = []
    for job in jobs:
        records = instance.get_run_records(dg.RunsFilter(job_name=job), limit=1)
        if not records:
            raise NotCurrent(f"{job} has never run")
        record = records[0]
        if record.dagster_run.status != dg.DagsterRunStatus.SUCCESS:
            raise NotCurrent(f"the last {job} run ({record.dagster_run.run_id[:8]}) did not succeed")
        if any(record.dagster_run.tags.get(name) != value for name, value in tags.items()):
            raise NotCurrent(f"the last {job} run was not made on this warehouse at schema revision {tags[SCHEMA_TAG]}")
        if found and (record.start_time or 0) < (found[-1].end_time or float("inf")):
            raise NotCurrent(f"the last {job} run started before the last {found[-1].dagster_run.job_name} ended")
        found.append(record)
    return found


def _exports(records: Sequence[AssetRecord], data: Path) -> list[str]:
    """The exports the raw assets last validated (every asset whose materialization names an export), once checked
    that each is still in `data` with the same sha256 and that no file was added to, removed from or renamed in
    `data` since (the folder's own time): the ingest run would find the very same files."""
    validated = []
    for record in records:
        last = record.asset_entry.last_materialization
        metadata = last.asset_materialization.metadata if last and last.asset_materialization else {}
        if EXPORT_PATH_KEY in metadata and SHA256_KEY in metadata:
            validated.append((Path(str(metadata[EXPORT_PATH_KEY].value)), metadata[SHA256_KEY].value, last))
    if not validated:
        raise NotCurrent(f"no export in {data} was validated yet")
    for path, sha256, _ in validated:
        if path.parent.resolve() != data.resolve() or not path.is_file():
            raise NotCurrent(f"{path} is not in {data} any more: the exports there were never validated")
        with path.open("rb") as file:
            if hashlib.file_digest(file, "sha256").hexdigest() != sha256:
                raise NotCurrent(f"{path.name} changed since it was validated")
    if data.stat().st_mtime > min(event.timestamp for *_, event in validated):
        raise NotCurrent(f"files were added to, removed from or renamed in {data} since the exports were validated")
    return sorted(path.name for path, *_ in validated)


def _assets_made_by(records: Sequence[AssetRecord], runs: list[dg.RunRecord]) -> int:
    """How many assets the runs made, once checked that each asset was last made, and last tried, by one of them:
    a later run (the daemon's, a launch from the UI) made it again or failed to."""
    ours = {run.dagster_run.run_id for run in runs}
    for record in records:
        entry = record.asset_entry
        last = entry.last_materialization
        if last is None or last.run_id not in ours or entry.last_run_id != last.run_id:
            raise NotCurrent(f"{entry.asset_key.to_user_string()} was made or tried again by a later run")
    return len(records)


def _missing_reports(instance: dg.DagsterInstance, url: str, run_id: str) -> tuple[int, list[str]]:
    """How many months the report run rendered, and the reports it stored that the warehouse no longer holds."""
    rendered = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    expected = set()
    for record in rendered:
        materialization = record.asset_materialization
        if materialization is not None and record.partition_key and WITHDRAWN_KEY not in materialization.metadata:
            expected.add(report_name(date.fromisoformat(record.partition_key)))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stored = set(conn.execute(select(Report.name).where(Report.name.in_(expected))).scalars())
    finally:
        engine.dispose()
    return len(rendered), sorted(expected - stored)


def verdict(instance: dg.DagsterInstance, data: Path, url: str, jobs: tuple[str, ...]) -> Verdict:
    """Whether the last `synapse run` (the runs of `jobs`) is current for the exports in `data` and the warehouse at
    `url`, from the instance's records and the warehouse's schema revision and stored reports."""
    tags = run_tags(url)
    records = instance.get_asset_records()
    try:
        names = ", ".join(_exports(records, data))
        engine = make_engine(url)
        try:
            revision = warehouse_revision(engine)
        finally:
            engine.dispose()
        if revision != tags[SCHEMA_TAG]:
            raise NotCurrent(f"the warehouse is at schema revision {revision}, the code at {tags[SCHEMA_TAG]}")
        runs = _latest_runs(instance, jobs, tags)
        assets = _assets_made_by(records, runs)
        report_run = next(run.dagster_run.run_id for run in runs if run.dagster_run.job_name == REPORT_JOB)
        reports, missing = _missing_reports(instance, url, report_run)
        if missing:
            raise NotCurrent(f"{len(missing)} report(s) missing from the warehouse: {', '.join(missing[:3])}")
    except NotCurrent as reason:
        return Verdict(False, str(reason))
    ended = datetime.fromtimestamp(runs[-1].end_time or 0).astimezone()
    return Verdict(
        True,
        f"nothing to do: {names} unchanged; {jobs[0]}..{jobs[-1]} ({len(runs)} runs, {assets} assets, {reports} "
        f"reports) current on {masked(url)} at schema {revision}, the last ended "
        f"{ended:%Y-%m-%d %H:%M:%S %Z} (synapse run --force runs them again)",
    )
