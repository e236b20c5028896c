"""The delivery sensor: every new or updated monthly report is mailed to whoever has yet to receive it."""

import hashlib

import dagster as dg
from sqlalchemy import func, select

from synapse_pipeline.delivery.deliver import joined_since, pending_user_ids
from synapse_pipeline.delivery.jobs import deliver_reports_job, delivery_run_config
from synapse_pipeline.reports.assets import CONTENT_SHA256_KEY, RELATORIO_MENSAL, REPORT_NAME_KEY
from synapse_pipeline.settings import CHAIN_SENSOR_SECONDS
from synapse_pipeline.warehouse.models import Report
from synapse_pipeline.warehouse.resource import Warehouse

BATCH = 100
DELIVERY_RETRIES = "3"


@dg.sensor(
    job=deliver_reports_job,
    minimum_interval_seconds=CHAIN_SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Emails each new or updated report to every active user who wants email and has not had it.",
)
def report_delivery_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse) -> dg.SensorResult:
    """One delivery run for the new or updated reports since the last tick that someone has yet to receive, and for
    the latest report when a user joined since it was stored.

    A cursor over every materialization, not `@asset_sensor`, which sees only the latest one: several reports
    materialized between two ticks all go out, in one run (the run key: their names and content sha256).
    """
    result = context.instance.fetch_materializations(
        RELATORIO_MENSAL, limit=BATCH, cursor=context.cursor, ascending=True
    )
    versions: dict[str, str] = {}
    with warehouse.engine.connect() as conn:
        for record in result.records:
            metadata = record.asset_materialization.metadata
            name = metadata[REPORT_NAME_KEY].value
            pending = pending_user_ids(conn, name)
            if pending:
                versions[name] = f"{metadata[CONTENT_SHA256_KEY].value}:{pending}"
        # A user added since the latest report was stored gets it now, not at the next report.
        latest = conn.execute(select(func.max(Report.name))).scalar()
        joined = joined_since(conn, latest) if latest and latest not in versions else []
        if joined:
            versions[latest] = f"joined:{joined}"
    cursor = result.cursor if result.records else context.cursor
    if not versions:
        return dg.SensorResult(cursor=cursor)
    names = sorted(versions)
    request = dg.RunRequest(
        run_key=hashlib.sha256(" ".join(f"{n}@{versions[n]}" for n in names).encode()).hexdigest(),
        run_config=delivery_run_config(names),
        tags={"synapse/reports": f"{len(names)}: {names[0]} .. {names[-1]}", "dagster/max_retries": DELIVERY_RETRIES},
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor)
