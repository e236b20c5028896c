"""Storing a report: created_at is when it was first stored, updated_at when its content last changed; an identical
re-render changes no row (so `synapse summary`'s checksum of `report` stays); a new user reads from the latest one."""

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from synapse_pipeline.delivery.users import add_user, recipients
from synapse_pipeline.reports.store import upsert_report
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.fingerprint import table_checksum
from synapse_pipeline.warehouse.models import Report, ReportEmail
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import PASSWORD

JULY, AUGUST = "relatorio-mensal-2025-07", "relatorio-mensal-2025-08"


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    engine = make_engine(warehouse_url)
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def _stored(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as conn:
        dates = conn.execute(select(Report.id, Report.created_at, Report.updated_at).where(Report.name == JULY)).one()
        checksums = table_checksum(conn, Report.__table__), table_checksum(conn, ReportEmail.__table__)
    return (*dates, *checksums)


def test_an_identical_render_changes_no_row_and_a_new_one_only_updated_at(engine: Engine) -> None:
    with engine.begin() as conn:
        report_id = upsert_report(conn, JULY, "<html>julho</html>", "MIME julho")
    first = _stored(engine)
    time.sleep(1.1)  # SQLite's CURRENT_TIMESTAMP has whole seconds
    with engine.begin() as conn:
        assert upsert_report(conn, JULY, "<html>julho</html>", "MIME julho") == report_id
    assert _stored(engine) == first
    with engine.begin() as conn:
        assert upsert_report(conn, JULY, "<html>julho, corrigido</html>", "MIME corrigido") == report_id
    corrected = _stored(engine)
    assert corrected[:2] == first[:2]  # the same row, first stored at the same time
    assert corrected[2] > first[2]
    assert corrected[3:] != first[3:]


def test_a_new_user_receives_from_the_latest_stored_report(engine: Engine) -> None:
    with engine.begin() as conn:
        early = add_user(conn, username="Ana", email="ana@example.com", password=PASSWORD)
        upsert_report(conn, JULY, "<html>julho</html>", "MIME julho")
        late = add_user(conn, username="Bia", email="bia@example.com", password=PASSWORD)
        upsert_report(conn, AUGUST, "<html>agosto</html>", "MIME agosto")
        assert (early.reports_from, late.reports_from) == (None, JULY)
        assert recipients(conn, "relatorio-mensal-2025-06") == [early]
        assert recipients(conn, AUGUST) == [early, late]
