"""The morning load, in the distributor's time zone: a safety net behind the export sensor."""

import dagster as dg

from synapse_pipeline.ingest.changes import all_validated, find_exports, load_request
from synapse_pipeline.ingest.jobs import ingest_job
from synapse_pipeline.ingest.kinds import ExportError
from synapse_pipeline.ingest.resources import ExportFiles
from synapse_pipeline.settings import TIMEZONE


@dg.schedule(
    job=ingest_job,
    cron_schedule="0 6 * * *",  # 06:00 every day, after the ERP's nightly export
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="06:00 São Paulo time: validates and loads the exports if the export sensor has not already.",
)
def daily_load_schedule(
    context: dg.ScheduleEvaluationContext, export_files: ExportFiles
) -> dg.RunRequest | dg.SkipReason:
    """Validate the exports and load clientes and estoque, unless they are the files already validated.

    faturamento_months_sensor then loads the months.
    """
    try:
        exports = find_exports(export_files, {})
    except ExportError as error:
        return dg.SkipReason(str(error))
    if all_validated(context.instance, exports):
        return dg.SkipReason("the exports are the ones last validated")
    return load_request(exports)
