"""Alerts to the administrators, through the mailer the reports use: a person hears of every failure.

Plain-text messages, one per admin, named so that the outbox shows what each one is about.
"""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import dagster as dg
from sqlalchemy import Engine

from synapse_pipeline.delivery.mailer import Mailer
from synapse_pipeline.delivery.users import administrators

ERROR_LINES = 12  # of the error, in the message: enough to recognise it, the rest is in the UI


def _error_chain(error: object) -> str:
    """An error and the errors that caused it: Dagster wraps the one that says what went wrong."""
    messages = []
    while error is not None:
        messages.append(str(getattr(error, "message", error)).strip())
        error = getattr(error, "cause", None)
    return "\ncaused by: ".join(messages)


def step_failure_text(event: dg.DagsterEvent) -> str:
    """What a failed step said: its own description (a `dg.Failure`), else its error and the errors that caused it.
    The alert emails, `synapse run` and the tests all describe a failure with it."""
    data = event.step_failure_data
    described = data.user_failure_data.description if data.user_failure_data else None
    return described or _error_chain(data.error) or event.message or ""


class _ErrorInfo(Protocol):
    """What Dagster records of an error: its class, its message and the error that caused it."""

    cls_name: str | None
    message: str
    cause: "_ErrorInfo | None"


def _first_line(error: _ErrorInfo) -> str:
    """An error's message without its class name (`psycopg.OperationalError: `), first line only."""
    name, _, message = error.message.partition(": ")
    lines = (message if error.cls_name and name.endswith(error.cls_name) else error.message).strip().splitlines()
    return lines[0] if lines else error.cls_name or ""


def run_failure_text(event: dg.DagsterEvent) -> str:
    """What a run that failed outside its steps said (a resource that could not be opened), with its innermost
    cause, where the database's own words are: Dagster's outer message alone says only that something was thrown.
    Empty for a run ended from outside, which recorded no error."""
    error: _ErrorInfo | None = getattr(event.event_specific_data, "error", None)
    if error is None:
        return ""
    innermost = error
    while innermost.cause is not None:
        innermost = innermost.cause
    outer, inner = _first_line(error), _first_line(innermost)
    return outer if innermost is error else f"{outer}: {inner}"


def first_lines(text: str, lines: int = ERROR_LINES) -> str:
    """The start of a long error, marked as cut when it is."""
    kept = text.strip().splitlines()
    return "\n".join(kept[:lines] + (["[...]"] if len(kept) > lines else []))


def send_alert(engine: Engine, mailer: Mailer, *, name: str, subject: str, body: str) -> list[str]:
    """Email `subject` and `body` to every active admin; returns their addresses (none: nobody to tell)."""
    with engine.connect() as conn:
        admins = administrators(conn)
    for admin in admins:
        message = EmailMessage()
        message["Subject"] = f"[Synapse] {subject}"
        message["From"] = mailer.sender
        message["To"] = admin.email
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=mailer.sender.rpartition("@")[2] or None)
        message["X-Synapse-Alert"] = name
        message.set_content(body, cte="quoted-printable")
        mailer.send(message, f"{name}--{admin.id}")
    return [admin.email for admin in admins]
