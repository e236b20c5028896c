"""The audit log: every change to a user and every report delivery, with who did it and the values before and after.

Callers pass plain values; anything named like a password or hash is refused here, so a secret can never be
written to the log by mistake.
"""

import getpass
import socket

from sqlalchemy import Connection

from synapse_pipeline.warehouse.models import AuditLog

CREATE, UPDATE, DELIVER = "CREATE", "UPDATE", "DELIVER"
SECRET_FIELDS = frozenset({"password", "hash", "password_hash"})


def cli_actor() -> str:
    """Who acts at the terminal: the OS login and host (the CLI has no Synapse login)."""
    return f"cli:{getpass.getuser()}@{socket.gethostname()}"


def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    table: str,
    record_id: object,
    old: dict[str, object] | None = None,
    new: dict[str, object] | None = None,
) -> None:
    """Append one entry, in the caller's transaction: the change and its audit entry commit together."""
    leaked = SECRET_FIELDS & ({*(old or {}), *(new or {})})
    if leaked:
        raise ValueError(f"refusing to write {sorted(leaked)} to the audit log")
    conn.execute(
        AuditLog.__table__.insert().values(
            actor=actor[:200],
            action=action,
            table_name=table,
            record_id=str(record_id),
            old_values=old,
            new_values=new,
        )
    )
