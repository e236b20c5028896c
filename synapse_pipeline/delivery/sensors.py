"""The delivery sensor: every new or updated monthly report is mailed, once per version."""

import dagster as dg

from synapse_pipeline.delivery.jobs import deliver_reports_job, delivery_run_config
from synapse_pipeline.reports.assets import CONTENT_SHA256_KEY, REPORT_NAME_KEY

RELATORIO_MENSAL = dg.AssetKey("relatorio_mensal")
BATCH = 100
DELIVERY_RETRIES = "3"


@dg.sensor(job=deliver_reports_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def report_delivery_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Request a delivery run per new or updated report version (run key: name and content sha256).

    A cursor over every materialization, not `@asset_sensor`, which sees only the latest one: several reports
    materialized between two ticks each get their run.
    """
    result = context.instance.fetch_materializations(
        RELATORIO_MENSAL, limit=BATCH, cursor=context.cursor, ascending=True
    )
    requests = []
    for record in result.records:
        metadata = record.asset_materialization.metadata
        name = metadata[REPORT_NAME_KEY].value
        requests.append(
            dg.RunRequest(
                run_key=f"{name}@{metadata[CONTENT_SHA256_KEY].value}",
                run_config=delivery_run_config(name),
                tags={"synapse/report": name, "dagster/max_retries": DELIVERY_RETRIES},
            )
        )
    return dg.SensorResult(run_requests=requests, cursor=result.cursor if result.records else context.cursor)
