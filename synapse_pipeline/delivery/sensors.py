"""The delivery sensor: every new or updated monthly report is mailed to whoever has yet to receive it."""

import hashlib
import json

import dagster as dg
from sqlalchemy import func, select

from synapse_pipeline.delivery.deliver import pending_user_ids, users_added_since
from synapse_pipeline.delivery.jobs import deliver_reports_job, delivery_run_config
from synapse_pipeline.reports.assets import CONTENT_SHA256_KEY, RELATORIO_MENSAL, REPORT_NAME_KEY
from synapse_pipeline.settings import CHAIN_SENSOR_SECONDS
from synapse_pipeline.warehouse.models import Report, User
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
    the first reports of the users added since the last tick.

    A cursor over every materialization, not `@asset_sensor`, which sees only the latest one: several reports
    materialized between two ticks all go out, in one run (the run key: their names and content sha256). The cursor
    also keeps the newest user creation looked at, so each new user is asked for once.
    """
    seen = json.loads(context.cursor) if context.cursor and context.cursor.startswith("{") else {}
    if context.cursor and not seen:
        seen = {"materializations": context.cursor}  # the cursor of a version that kept only the materializations
    result = context.instance.fetch_materializations(
        RELATORIO_MENSAL, limit=BATCH, cursor=seen.get("materializations"), ascending=True
    )
    versions: dict[str, str] = {}
    with warehouse.engine.connect() as conn:
        for record in result.records:
            metadata = record.asset_materialization.metadata
            name = metadata[REPORT_NAME_KEY].value
            pending = pending_user_ids(conn, name)
            if pending:
                versions[name] = f"{metadata[CONTENT_SHA256_KEY].value}:{pending}"
        # A user added since the last tick gets their first reports now (the latest complete month's, and a partial
        # month after it), not at the next report.
        added, newest_user = users_added_since(conn, seen.get("users"))
        first = conn.execute(select(func.min(User.reports_from)).where(User.id.in_(added))).scalar() if added else None
        for name in conn.execute(select(Report.name).where(Report.name >= first)).scalars() if first else ():
            joined = sorted(set(pending_user_ids(conn, name)) & set(added))
            if joined and name not in versions:
                versions[name] = f"joined:{joined}"
    cursor = json.dumps(
        {"materializations": result.cursor if result.records else seen.get("materializations"), "users": newest_user}
    )
    if not versions:
        return dg.SensorResult(cursor=cursor)
    names = sorted(versions)
    request = dg.RunRequest(
        run_key=hashlib.sha256(" ".join(f"{n}@{versions[n]}" for n in names).encode()).hexdigest(),
        run_config=delivery_run_config(names),
        tags={"synapse/reports": f"{len(names)}: {names[0]} .. {names[-1]}", "dagster/max_retries": DELIVERY_RETRIES},
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor)
