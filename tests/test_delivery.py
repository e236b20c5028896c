"""Report delivery by email: a real SMTP server on loopback (aiosmtpd), the outbox, exactly once per user."""

import email
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from synapse_pipeline.delivery.jobs import deliver_reports_job, delivery_run_config
from synapse_pipeline.delivery.mailer import Mailer
from synapse_pipeline.delivery.sensors import report_delivery_sensor
from synapse_pipeline.delivery.users import add_user, set_active
from synapse_pipeline.warehouse.resource import Warehouse
from tests.support import Pipeline, failure_message

JULY = "relatorio-mensal-2025-07"
PASSWORD = "correct horse"


class Inbox:
    """An SMTP handler that keeps what it receives and refuses the addresses in `refused`."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self) -> list[str]:
        return sorted(m["To"] for m in self.messages)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def reported(pipeline: Pipeline) -> Pipeline:
    """The sample loaded, KPI tables built, July's report stored, and five users."""
    pipeline.load_all_and_kpis()
    assert pipeline.materialize(["relatorio_mensal"], partition="2025-07-01").success
    engine = pipeline.engine()
    with engine.begin() as conn:
        for name, receive in (("ana", True), ("bruno", True), ("carla", True), ("davi", False), ("eva", True)):
            add_user(conn, username=name, email=f"{name}@example.com", password=PASSWORD, receive_email=receive)
        set_active(conn, "carla@example.com", False)
    engine.dispose()
    return pipeline


def _deliver(pipeline: Pipeline, mailer: Mailer, report: str = JULY) -> dg.ExecuteInProcessResult:
    return deliver_reports_job.execute_in_process(
        run_config=delivery_run_config([report]),
        resources={"warehouse": Warehouse(url=pipeline.warehouse_url), "mailer": mailer},
        instance=pipeline.instance,
        raise_on_error=False,
    )


def _delivered(pipeline: Pipeline) -> list[str]:
    return [
        e
        for (e,) in pipeline.rows(
            'SELECT u.email FROM delivered_to d JOIN "user" u ON u.id = d.user_id ORDER BY u.email'
        )
    ]


def test_smtp_delivery_sends_each_recipient_once(reported: Pipeline, inbox: tuple[Inbox, int]) -> None:
    server, port = inbox
    server.refused.add("eva@example.com")
    mailer = Mailer(host="127.0.0.1", port=port, starttls=False, sender="relatorios@synapse.example")

    first = _deliver(reported, mailer)

    # A refused recipient leaves the others delivered and stays pending; inactive and opted-out users get nothing.
    assert not first.success
    assert "1 recipient(s) still pending" in failure_message(first)
    assert server.to() == ["ana@example.com", "bruno@example.com"]
    assert _delivered(reported) == ["ana@example.com", "bruno@example.com"]

    server.refused.clear()
    assert _deliver(reported, mailer).success
    assert server.to() == ["ana@example.com", "bruno@example.com", "eva@example.com"]
    assert _delivered(reported) == ["ana@example.com", "bruno@example.com", "eva@example.com"]

    assert _deliver(reported, mailer).success
    assert len(server.messages) == 3


def test_email_carries_the_report_once_with_inline_charts_and_a_text_with_the_variations(
    reported: Pipeline, inbox: tuple[Inbox, int]
) -> None:
    server, port = inbox
    assert _deliver(reported, Mailer(host="127.0.0.1", port=port, starttls=False)).success
    message = server.messages[0]

    assert message["Subject"] == "Relatório mensal — julho de 2025"
    text = message.get_body(("plain",)).get_content()
    assert "julho de 2025" in text
    assert re.search(r"Líquido \(t\): [\d.,]+ \(mês anterior: [\d.,]+, [+-][\d.,]+, [+-][\d,]+%;", text), text
    html = message.get_body(("html",)).get_content()
    cids = {part["Content-ID"].strip("<>"): part for part in message.walk() if part["Content-ID"]}
    assert {"tendencia", "clientes", "mix"} <= set(cids)
    for cid, part in cids.items():
        assert f'src="cid:{cid}"' in html
        assert part.get_content_type() == "image/png"
        assert part.get_content().startswith(b"\x89PNG")
    assert list(message.iter_attachments()) == []  # the report once, in the body
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", *["image/png"] * len(cids),
    ]  # fmt: skip
    assert len(message.as_bytes()) <= 150_000, len(message.as_bytes())


def test_the_mail_is_the_stored_report_even_after_the_figures_changed(
    reported: Pipeline, inbox: tuple[Inbox, int]
) -> None:
    """Delivery sends the mail form stored with the report, under the report's reconciliation check; it never
    renders again from tables that may have changed since (a load after the report, before its mail)."""
    server, port = inbox
    stored = reported.scalar(
        "SELECT e.message FROM report_email e JOIN report r ON r.id = e.report_id WHERE r.name = :name", name=JULY
    )
    content = str(reported.scalar("SELECT content FROM report WHERE name = :name", name=JULY))
    net = reported.scalar("SELECT sum(toneladas_liquidas) FROM giro_sku WHERE mes = '2025-07-01'")
    shown = f"{float(net):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    engine = reported.engine()
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE giro_sku SET toneladas_liquidas = toneladas_liquidas * 2 WHERE mes = '2025-07-01'")
    engine.dispose()

    assert _deliver(reported, Mailer(host="127.0.0.1", port=port, starttls=False)).success

    form = email.message_from_string(str(stored), policy=default).get_body(("html",))

    def lines(text: str) -> str:  # SMTP carries every line end as CRLF
        return text.replace("\r\n", "\n")

    for message in server.messages:
        html = message.get_body(("html",))
        assert lines(html.get_content()) == form.get_content()  # byte for byte, decoded
        assert lines(html.get_payload()) == form.get_payload()  # and as encoded on the wire
        assert shown in html.get_content() and shown in content  # the figures of the report stored
    assert len(server.messages) == 3


def test_outbox_holds_one_eml_per_report_and_receiving_user(reported: Pipeline, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    assert reported.materialize(["relatorio_mensal"], partition="2025-08-01").success
    mailer = Mailer(outbox_dir=str(outbox))

    for report in (JULY, "relatorio-mensal-2025-08"):
        assert _deliver(reported, mailer, report).success
        assert _deliver(reported, mailer, report).success  # again: nothing more

    files = sorted(p.name for p in outbox.glob("*.eml"))
    pairs = reported.rows(
        "SELECT r.name, d.user_id FROM delivered_to d JOIN report r ON r.id = d.report_id ORDER BY r.name, d.user_id"
    )
    assert files == sorted(f"{name}--{user}.eml" for name, user in pairs)
    assert len(files) == 2 * 3  # ana, bruno, eva; not carla (inactive) nor davi (no email)
    parsed = email.message_from_bytes((outbox / files[0]).read_bytes(), policy=default)
    assert parsed["X-Synapse-Report"] in (JULY, "relatorio-mensal-2025-08")


def _delivery_tick(pipeline: Pipeline, cursor: str | None) -> dg.SensorResult:
    resources = {"warehouse": Warehouse(url=pipeline.warehouse_url)}
    with dg.build_sensor_context(instance=pipeline.instance, cursor=cursor, resources=resources) as context:
        return report_delivery_sensor.evaluate_tick(context)


def test_sensor_requests_one_delivery_run_for_the_new_report_versions(reported: Pipeline) -> None:
    assert reported.materialize(["relatorio_mensal"], partition="2025-08-01").success

    first = _delivery_tick(reported, None)
    assert len(first.run_requests) == 1
    config = first.run_requests[0].run_config["ops"]["deliver_reports"]["config"]
    assert config["report_names"] == [JULY, "relatorio-mensal-2025-08"]
    assert _delivery_tick(reported, first.cursor).run_requests == []

    # Once everyone has July, a new materialization of it asks for nothing: nobody gets a report twice.
    assert _deliver(reported, Mailer(outbox_dir=str(reported.storage / "outbox"))).success
    assert reported.materialize(["relatorio_mensal"], partition="2025-07-01").success
    assert _delivery_tick(reported, first.cursor).run_requests == []


def test_smtp_server_down_loses_nothing_and_delivers_on_the_next_run(
    reported: Pipeline, inbox: tuple[Inbox, int]
) -> None:
    server, port = inbox
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens there once the probe is closed

    down = _deliver(reported, Mailer(host="127.0.0.1", port=closed_port, starttls=False, timeout_seconds=5))

    assert not down.success
    assert "3 recipient(s) still pending" in failure_message(down)
    assert "The mail server said, for ana@example.com: ConnectionRefusedError: [Errno 111] Connection refused" in (
        failure_message(down)
    )  # the reason, not only a count
    assert _delivered(reported) == []
    assert _deliver(reported, Mailer(host="127.0.0.1", port=port, starttls=False)).success
    assert server.to() == ["ana@example.com", "bruno@example.com", "eva@example.com"]


def test_unwritable_outbox_is_a_clear_error_and_nothing_is_recorded(reported: Pipeline, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the outbox should be")

    result = _deliver(reported, Mailer(outbox_dir=str(blocked / "outbox")))

    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.user_failure_data
    assert "still pending" in failure.description
    assert "not\\-a\\-directory" in failure.metadata["pending"].value  # a table, the error's text escaped
    assert _delivered(reported) == []


def test_a_user_added_after_twenty_reports_gets_the_latest_complete_month_at_once_and_the_archive_on_request(
    reported: Pipeline, inbox: tuple[Inbox, int]
) -> None:
    server, port = inbox
    mailer = Mailer(host="127.0.0.1", port=port, starttls=False)
    assert reported.materialize(["relatorio_mensal"], months=("2024-01-01", "2025-08-01")).success
    assert len(reported.rows("SELECT name FROM report")) == 20
    caught_up = _delivery_tick(reported, None)  # the 20 reports go to the five users of the fixture
    for request in caught_up.run_requests:
        names = request.run_config["ops"]["deliver_reports"]["config"]["report_names"]
        for name in names:
            assert _deliver(reported, mailer, name).success
    before = len(server.messages)
    # The fixture's users joined when July was the latest report: July and August each, nothing older.
    assert sorted({m["X-Synapse-Report"] for m in server.messages}) == [JULY, "relatorio-mensal-2025-08"]

    engine = reported.engine()
    with engine.begin() as conn:
        add_user(conn, username="fabio", email="fabio@example.com", password=PASSWORD)
    engine.dispose()
    # No new report: the new user asks. August has one billing day: July, the latest complete month, comes first.
    (joined,) = _delivery_tick(reported, caught_up.cursor).run_requests
    names = joined.run_config["ops"]["deliver_reports"]["config"]["report_names"]
    assert names == [JULY, "relatorio-mensal-2025-08"]
    for name in names:
        assert _deliver(reported, mailer, name).success
    new = server.messages[before:]
    assert [(m["To"], m["X-Synapse-Report"]) for m in new] == [("fabio@example.com", name) for name in names]
    assert "(parcial, até 01/08/2025)" in new[1]["Subject"] and "parcial" not in new[0]["Subject"]
    assert _delivery_tick(reported, caught_up.cursor).run_requests == []  # delivered: nothing more to ask

    archive = deliver_reports_job.execute_in_process(
        run_config=delivery_run_config([n for (n,) in reported.rows("SELECT name FROM report")], "fabio@example.com"),
        resources={"warehouse": Warehouse(url=reported.warehouse_url), "mailer": mailer},
        instance=reported.instance,
    )
    assert archive.success
    fabio = [m["X-Synapse-Report"] for m in server.messages if m["To"] == "fabio@example.com"]
    assert len(fabio) == 20 == len(set(fabio))  # the 18 older ones on request, July and August not twice
    assert all(m["To"] == "fabio@example.com" for m in server.messages[before:])  # nobody else got the archive
