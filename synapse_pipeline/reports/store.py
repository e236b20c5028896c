"""Storing a rendered report in `report`, one row per name, updated in place."""

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from synapse_pipeline.warehouse.models import DeliveredTo, Report, ReportEmail


def upsert_report(conn: Connection, name: str, content: str, mail: str) -> int:
    """Store a report under its unique name with the form it is mailed in: a new version replaces both, never adds
    a second row, so a mail is always the report stored beside it. `created_at` stays when it was first stored;
    `updated_at` moves only when the content changes, so re-rendering an identical report changes no row."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(Report).values(name=name, content=content)
    statement = statement.on_conflict_do_update(
        index_elements=[Report.name],
        set_={"content": statement.excluded.content, "updated_at": func.now()},
        where=Report.content != statement.excluded.content,
    ).returning(Report.id)
    report_id = conn.execute(statement).scalar()
    if report_id is None:  # the same content: no row was updated, so none returned
        report_id = conn.execute(select(Report.id).where(Report.name == name)).scalar_one()
    form = insert(ReportEmail).values(report_id=report_id, message=mail)
    conn.execute(
        form.on_conflict_do_update(
            index_elements=[ReportEmail.report_id],
            set_={"message": mail},
            where=ReportEmail.message != form.excluded.message,
        )
    )
    return report_id


def withdraw_report(conn: Connection, name: str) -> bool:
    """Delete a stored report and its delivery records: a month a correction emptied has no report. Whether one was
    stored."""
    report_id = conn.execute(select(Report.id).where(Report.name == name)).scalar_one_or_none()
    if report_id is None:
        return False
    for table in (DeliveredTo, ReportEmail):
        conn.execute(delete(table).where(table.report_id == report_id))
    conn.execute(delete(Report).where(Report.id == report_id))
    return True


def without_mail_form(conn: Connection) -> set[str]:
    """The stored reports rendered before their mail form was stored with them: to render again."""
    query = select(Report.name).outerjoin(ReportEmail, ReportEmail.report_id == Report.id)
    return set(conn.execute(query.where(ReportEmail.report_id.is_(None))).scalars())
