"""Storing a rendered report in `report`, one row per name, updated in place."""

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from synapse_pipeline.warehouse.models import DeliveredTo, Report


def upsert_report(conn: Connection, name: str, content: str) -> int:
    """Store a report under its unique name: a new version replaces the row, never adds a second one."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(Report).values(name=name, content=content)
    statement = statement.on_conflict_do_update(
        index_elements=[Report.name],
        set_={"content": statement.excluded.content, "created_at": func.now()},
    ).returning(Report.id)
    return conn.execute(statement).scalar_one()


def withdraw_report(conn: Connection, name: str) -> bool:
    """Delete a stored report and its delivery records: a month a correction emptied has no report. Whether one was
    stored."""
    report_id = conn.execute(select(Report.id).where(Report.name == name)).scalar_one_or_none()
    if report_id is None:
        return False
    conn.execute(delete(DeliveredTo).where(DeliveredTo.report_id == report_id))
    conn.execute(delete(Report).where(Report.id == report_id))
    return True
