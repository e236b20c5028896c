"""The audit log records user changes and deliveries: who, what, when, old and new values; never a secret."""

import json

from sqlalchemy import select

from synapse_pipeline.delivery.mailer import Mailer
from synapse_pipeline.delivery.users import add_user, set_active, set_email_preference, set_password
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.models import AuditLog, User
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import Pipeline
from tests.test_delivery import JULY, _deliver

PASSWORD, NEW_PASSWORD = "first secret", "second secret"


def _entries(url: str) -> list[dict[str, object]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(AuditLog).order_by(AuditLog.id))]
    engine.dispose()
    return rows


def test_user_changes_are_audited_without_secrets(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    upgrade_schema(engine)
    with engine.begin() as conn:
        ana = add_user(conn, username="ana", email="ana@example.com", password=PASSWORD, actor="cli:test")
        set_email_preference(conn, "ana@example.com", False, actor="cli:test")
        set_password(conn, "ana@example.com", NEW_PASSWORD, actor="cli:test")
        set_active(conn, "ana@example.com", False)  # the default actor: the OS login at the CLI
        stored_hash = conn.execute(select(User.password)).scalar_one()
    engine.dispose()

    entries = _entries(warehouse_url)
    assert [(e["action"], e["table_name"], e["record_id"]) for e in entries] == [
        ("CREATE", "user", str(ana.id)),
        ("UPDATE", "user", str(ana.id)),
        ("UPDATE", "user", str(ana.id)),
        ("UPDATE", "user", str(ana.id)),
    ]
    assert entries[0]["new_values"] == {
        "username": "ana",
        "email": "ana@example.com",
        "is_admin": False,
        "is_active": True,
        "receive_email": True,
        "reports_from": None,  # no report stored yet: she receives every report
    }
    assert (entries[1]["old_values"], entries[1]["new_values"]) == ({"receive_email": True}, {"receive_email": False})
    assert (entries[2]["old_values"], entries[2]["new_values"]) == ({}, {"password_changed": True})
    assert entries[3]["actor"].startswith("cli:") and entries[3]["new_values"] == {"is_active": False}
    assert all(e["timestamp"] is not None for e in entries)
    logged = json.dumps([[e["old_values"], e["new_values"], e["actor"]] for e in entries])
    for secret in (PASSWORD, NEW_PASSWORD, stored_hash, "$2b$"):
        assert secret not in logged


def test_deliveries_are_audited(pipeline: Pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pipeline.load_all_and_kpis()
    assert pipeline.materialize(["relatorio_mensal"], partition="2025-07-01").success
    engine = pipeline.engine()
    with engine.begin() as conn:
        add_user(conn, username="bia", email="bia@example.com", password=PASSWORD)
    engine.dispose()

    result = _deliver(pipeline, Mailer(outbox_dir=str(tmp_path / "outbox")))

    delivered = [e for e in _entries(pipeline.warehouse_url) if e["action"] == "DELIVER"]
    assert len(delivered) == 1
    assert delivered[0]["table_name"] == "delivered_to"
    assert delivered[0]["actor"] == f"dagster:run {result.run_id}"
    assert delivered[0]["new_values"] == {"report": JULY, "email": "bia@example.com", "via": "outbox"}
