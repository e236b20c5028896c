"""Configurable resources: the warehouse, the folder the ERP drops its exports into, and the mailer."""

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy import Engine

from synapse_pipeline.exports import ExportKind, find_export
from synapse_pipeline.warehouse.database import create_schema, make_engine, masked


class Warehouse(dg.ConfigurableResource):
    """The BI warehouse, any SQLAlchemy URL: PostgreSQL in production, an SQLite file by default.

    The schema is created (idempotently) before the first use in a run.
    """

    url: str
    _engine: Engine | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._engine = make_engine(self.url)
        create_schema(self._engine)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("Warehouse used outside a Dagster run; call setup_for_execution first")
        return self._engine

    @property
    def display_url(self) -> str:
        """The URL with its password masked, for metadata and logs."""
        return masked(self.url)


class ExportFiles(dg.ConfigurableResource):
    """The directory where the ERP exports `estoque*.csv` and `faturamento*.csv` arrive."""

    data_dir: str

    def find(self, kind: ExportKind) -> Path:
        return find_export(Path(self.data_dir), kind)


class Mailer(dg.ConfigurableResource):
    """Sends the report emails: by SMTP when a host is set, else as `.eml` files in a local outbox.

    The outbox lets the project run end to end with no mail server; every field comes from the environment.
    """

    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    starttls: bool = True
    sender: str = "synapse@localhost"
    outbox_dir: str = ""
    timeout_seconds: float = 30.0

    @property
    def uses_outbox(self) -> bool:
        return not self.host

    def send(self, message: EmailMessage, name: str) -> str:
        """Send one message (or write it as `<name>.eml` in the outbox); returns where it went."""
        if self.uses_outbox:
            return str(write_eml(Path(self.outbox_dir), name, message))
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
        return f"smtp://{self.host}:{self.port}"


def write_eml(outbox: Path, name: str, message: EmailMessage) -> Path:
    """Write the message atomically: a crash never leaves half an `.eml` under its final name."""
    outbox.mkdir(parents=True, exist_ok=True)
    target = outbox / f"{name}.eml"
    partial = outbox / f".{name}.eml.partial"
    partial.write_bytes(message.as_bytes())
    partial.replace(target)
    return target
