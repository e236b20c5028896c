"""Delivering a stored report by email to every recipient who has not had it yet, each exactly once.

A delivery is recorded in `delivered_to` inside the same transaction that sends the message: if sending fails the
row is rolled back and the user stays pending for the next run; the unique (report_id, user_id) pair stops two
runs from both sending.
"""

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from synapse_pipeline.delivery import audit
from synapse_pipeline.delivery.mailer import Mailer
from synapse_pipeline.delivery.users import UserView, find_user, recipients
from synapse_pipeline.reports.mail import parsed
from synapse_pipeline.warehouse.models import AuditLog, DeliveredTo, Report, ReportEmail


class DeliveryError(Exception):
    """The report cannot be delivered at all (unknown name, no stored mail form)."""


@dataclass
class DeliveryOutcome:
    """Who got the report in this run, who already had it, and who is still pending (with why)."""

    report: str
    sent: list[str] = field(default_factory=list)
    already_delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def build_email(form: str, sender: str, user: UserView) -> EmailMessage:
    """The report's stored mail form addressed to one user: only the recipient's headers are added."""
    message = parsed(form)
    message["From"] = sender
    message["To"] = user.email
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    return message


def delivered_user_ids(conn: Connection, report_id: int) -> set[int]:
    """Who has had this report (its `delivered_to` rows)."""
    return set(conn.execute(select(DeliveredTo.user_id).where(DeliveredTo.report_id == report_id)).scalars())


def pending_user_ids(conn: Connection, name: str) -> list[int]:
    """The recipients who have yet to receive the stored report `name`: a delivery run would have work."""
    report_id = conn.execute(select(Report.id).where(Report.name == name)).scalar()
    if report_id is None:
        return []
    done = delivered_user_ids(conn, report_id)
    return [user.id for user in recipients(conn, name) if user.id not in done]


def users_added_since(conn: Connection, audit_id: int | None) -> tuple[list[int], int | None]:
    """The users added after audit entry `audit_id` (None: ever), and the newest audit entry looked at."""
    entries = conn.execute(
        select(AuditLog.id, AuditLog.record_id)
        .where(AuditLog.table_name == "user", AuditLog.action == audit.CREATE, AuditLog.id > (audit_id or 0))
        .order_by(AuditLog.id)
    ).all()
    newest = entries[-1].id if entries else audit_id
    return [int(entry.record_id) for entry in entries], newest


def _addressees(conn: Connection, name: str, archive_for: str | None) -> list[UserView]:
    """The report's recipients, or the one active user who asked for the archive."""
    if archive_for is None:
        return recipients(conn, name)
    user = find_user(conn, archive_for)
    if not user.is_active:
        raise DeliveryError(f"{user.email} is not active: no archive to send")
    return [user]


def deliver_report(
    engine: Engine, mailer: Mailer, name: str, actor: str, archive_for: str | None = None
) -> DeliveryOutcome:
    """Send report `name` to every recipient who has not received it yet, or (`archive_for`) to that one user on
    request, whenever they joined (audited)."""
    with engine.connect() as conn:
        stored = conn.execute(
            select(Report.id, ReportEmail.message)
            .outerjoin(ReportEmail, ReportEmail.report_id == Report.id)
            .where(Report.name == name)
        ).one_or_none()
        if stored is None:
            raise DeliveryError(f"no report named {name!r} in the warehouse")
        report_id, form = stored
        users = _addressees(conn, name, archive_for)
        done = delivered_user_ids(conn, report_id)
    if form is None:
        raise DeliveryError(f"{name} has no stored mail form (rendered before mails were stored): render it again")
    outcome = DeliveryOutcome(report=name)
    for user in users:
        if user.id in done:
            outcome.already_delivered.append(user.email)
            continue
        try:
            with engine.begin() as conn:
                conn.execute(DeliveredTo.__table__.insert().values(report_id=report_id, user_id=user.id))
                message = build_email(form, mailer.sender, user)
                where = mailer.send(message, f"{name}--{user.id}")
                audit.record(
                    conn,
                    actor=actor,
                    action=audit.DELIVER,
                    table="delivered_to",
                    record_id=f"{report_id}:{user.id}",
                    new={"report": name, "email": user.email, "via": "outbox" if mailer.uses_outbox else where},
                )
        except IntegrityError:
            outcome.already_delivered.append(user.email)  # another run delivered it meanwhile
        except (OSError, ValueError) as error:  # smtplib errors are OSErrors
            outcome.failed[user.email] = f"{type(error).__name__}: {error}"
        else:
            outcome.sent.append(user.email)
    return outcome
