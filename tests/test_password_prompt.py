"""The password prompt of `synapse users add` at a real terminal: the installed `synapse` script runs in a
pseudo-terminal, which must ask the password twice, without echoing it, and refuse two different answers."""

import os
import sys
from pathlib import Path

import pytest

from synapse_pipeline.delivery.passwords import verify_password
from synapse_pipeline.settings import DATABASE_URL_ENV
from synapse_pipeline.warehouse.database import make_engine
from tests.support import PASSWORD, at_terminal, stored_hash

SYNAPSE = Path(sys.executable).with_name("synapse")  # the console script installed beside this interpreter

pytestmark = pytest.mark.slow  # a real process at a terminal: out of the fast lane


def _at_terminal(url: str, argv: list[str], answers: list[str]) -> tuple[int, str]:
    """`synapse` on the warehouse `url` at a pseudo-terminal, answering each prompt in turn."""
    status, output = at_terminal([str(SYNAPSE), *argv], os.environ | {DATABASE_URL_ENV: url}, answers, 30)
    return status, output.replace("\r\n", "\n")


def test_cli_at_a_terminal_asks_the_password_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    add = ["users", "add", "--username", "Ana", "--email", "ana@example.com"]

    status, output = _at_terminal(url, add, [PASSWORD, "secret124"])
    assert status == 1
    assert "error: the two passwords differ" in output

    status, output = _at_terminal(url, add, [PASSWORD, PASSWORD])
    assert status == 0, output
    assert "password: " in output and "password again: " in output
    assert PASSWORD not in output  # not echoed
    assert "added ana@example.com (id 1)" in output
    engine = make_engine(url)
    assert verify_password(PASSWORD, stored_hash(engine, "ana@example.com"))
    engine.dispose()
