"""The export sensors: a new export starts the loads, a validated billing file loads all its months.

Both compare with what the instance already holds, not only with their cursors, so their first tick after
`synapse run` or a restart requests nothing that is already done.
"""

import json

import dagster as dg

from synapse_pipeline.ingest.changes import all_validated, find_exports, load_request
from synapse_pipeline.ingest.jobs import faturamento_job, ingest_job
from synapse_pipeline.ingest.kinds import FATURAMENTO, ExportError
from synapse_pipeline.ingest.loads import SOURCE_SHA256_KEY
from synapse_pipeline.ingest.partitions import (
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
)
from synapse_pipeline.ingest.raw import RAW_ASSETS, SHA256_KEY, months_in
from synapse_pipeline.ingest.resources import ExportFiles
from synapse_pipeline.settings import CHAIN_SENSOR_SECONDS

FATURAMENTO_KEY = dg.AssetKey("faturamento")
BATCH = 100


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=CHAIN_SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts ingest_job when an export in the data folder differs (by sha256) from the one last validated, "
    "once it has stopped changing (same size and time at two looks).",
)
def export_file_sensor(context: dg.SensorEvaluationContext, export_files: ExportFiles) -> dg.SensorResult:
    """Start the loads when an export in SYNAPSE_DATA_DIR differs from the one last validated (by sha256).

    The cursor keeps each file's size, mtime and sha256, so an unchanged file is not hashed again; a file is read
    only once its size and time are those of the look before (one still being written is not picked up); the run
    key is the files' contents, so a file that fails validation is not tried again until it changes.
    """
    try:
        exports = find_exports(export_files, json.loads(context.cursor) if context.cursor else {}, settling=True)
    except ExportError as error:
        return dg.SensorResult(skip_reason=str(error), cursor=context.cursor)
    cursor = json.dumps({export.path.name: export.stamp for export in exports})
    changing = [export.path.name for export in exports if not export.settled]
    if changing:
        return dg.SensorResult(
            skip_reason=f"{', '.join(changing)}: new or changed since the last look; read at the next look if its "
            "size and time stay the same (a file still being written is not picked up)",
            cursor=cursor,
        )
    if all_validated(context.instance, exports):
        return dg.SensorResult(skip_reason="the exports are the ones last validated", cursor=cursor)
    return dg.SensorResult(run_requests=[load_request(exports)], cursor=cursor)


def _loaded_from(instance: dg.DagsterInstance, months: list[str], sha256: str) -> bool:
    """Whether every one of `months` was last loaded from the export whose content hash is `sha256`."""
    for month in months:
        result = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=FATURAMENTO_KEY, asset_partitions=[month]), limit=1
        )
        metadata = result.records[0].asset_materialization.metadata if result.records else {}
        if SOURCE_SHA256_KEY not in metadata or metadata[SOURCE_SHA256_KEY].value != sha256:
            return False
    return True


@dg.sensor(
    job=faturamento_job,
    minimum_interval_seconds=CHAIN_SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Loads every month of a newly validated billing file in one run, unless they hold that file already.",
)
def faturamento_months_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Once a billing file is validated, load every month it holds in one run, unless they hold that file already."""
    result = context.instance.fetch_materializations(
        RAW_ASSETS[FATURAMENTO.name], limit=BATCH, cursor=context.cursor, ascending=True
    )
    requests = []
    for record in result.records:
        metadata = record.asset_materialization.metadata
        months = months_in(metadata)
        sha256 = metadata[SHA256_KEY].value
        if months and not _loaded_from(context.instance, months, sha256):
            requests.append(
                dg.RunRequest(
                    run_key=f"faturamento:{sha256}:{record.storage_id}",
                    tags={PARTITION_RANGE_START_TAG: months[0], PARTITION_RANGE_END_TAG: months[-1]},
                )
            )
    return dg.SensorResult(run_requests=requests, cursor=result.cursor if result.records else context.cursor)
