"""The export sensors: a dropped export starts the loads, a validated billing file loads all its months."""

import hashlib
import json

import dagster as dg

from synapse_pipeline.ingest.jobs import faturamento_job, ingest_job
from synapse_pipeline.ingest.kinds import ESTOQUE, FATURAMENTO, ExportError
from synapse_pipeline.ingest.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, monthly_partitions
from synapse_pipeline.ingest.profile import file_sha256
from synapse_pipeline.ingest.resources import ExportFiles

FATURAMENTO_RAW = dg.AssetKey("faturamento_raw")
BATCH = 100


@dg.sensor(job=ingest_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def export_file_sensor(context: dg.SensorEvaluationContext, export_files: ExportFiles) -> dg.SensorResult:
    """Start the loads when an export appears in SYNAPSE_DATA_DIR or its content changes (keyed by sha256).

    The cursor keeps each file's size, mtime and sha256, so an unchanged file is not hashed again, and the key
    of the last run requested, so a file starts exactly one load.
    """
    state = json.loads(context.cursor) if context.cursor else {"files": {}, "run_key": None}
    try:
        paths = [export_files.find(kind) for kind in (ESTOQUE, FATURAMENTO)]
    except ExportError as error:
        return dg.SensorResult(skip_reason=str(error), cursor=context.cursor)
    files = {}
    for path in paths:
        stat = path.stat()
        previous = state["files"].get(path.name)
        if previous and previous[:2] == [stat.st_size, stat.st_mtime_ns]:
            files[path.name] = previous
        else:
            files[path.name] = [stat.st_size, stat.st_mtime_ns, file_sha256(path)]
    contents = "+".join(f"{name}:{files[name][2]}" for name in sorted(files))
    run_key = hashlib.sha256(contents.encode()).hexdigest()
    cursor = json.dumps({"files": files, "run_key": run_key})
    if run_key == state["run_key"]:
        return dg.SensorResult(skip_reason="the exports have not changed", cursor=cursor)
    request = dg.RunRequest(run_key=run_key, tags={"synapse/exports": contents[:255]})
    return dg.SensorResult(run_requests=[request], cursor=cursor)


@dg.sensor(job=faturamento_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def faturamento_months_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Once a billing file is validated, load every month it holds, in one run, once per file content."""
    result = context.instance.fetch_materializations(
        FATURAMENTO_RAW, limit=BATCH, cursor=context.cursor, ascending=True
    )
    keys = set(monthly_partitions.get_partition_keys())
    requests = []
    for record in result.records:
        metadata = record.asset_materialization.metadata
        months = sorted(set(metadata["rows_per_month"].value) & keys)
        if months:
            requests.append(
                dg.RunRequest(
                    run_key=f"faturamento:{metadata['sha256'].value}",
                    tags={PARTITION_RANGE_START_TAG: months[0], PARTITION_RANGE_END_TAG: months[-1]},
                )
            )
    return dg.SensorResult(run_requests=requests, cursor=result.cursor if result.records else context.cursor)
