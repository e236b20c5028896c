"""The mailer: SMTP when a host is configured, else `.eml` files in a local outbox."""

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

import dagster as dg

from synapse_pipeline.lib.files import private_folder, written_atomically


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
    """Write the message atomically (a crash never leaves half an `.eml` under its final name), for its owner only."""
    target = private_folder(outbox) / f"{name}.eml"
    with written_atomically(target, private=True) as partial:
        partial.write_bytes(message.as_bytes())
    return target
