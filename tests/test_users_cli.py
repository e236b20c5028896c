"""`synapse users`, end to end through click's CliRunner, on SQLite and PostgreSQL: what each command prints, its
exit status, and what it leaves in the `user` table. The password prompt at a real terminal: test_password_prompt.py.
"""

import re
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from synapse_pipeline.cli import main as cli
from synapse_pipeline.cli.warehouse import open_engine
from synapse_pipeline.delivery.passwords import verify_password
from synapse_pipeline.delivery.users import list_users, recipients
from synapse_pipeline.settings import DATABASE_URL_ENV
from tests.support import PASSWORD, stored_hash

Synapse = Callable[..., tuple[int, str, str]]


@pytest.fixture
def synapse(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Synapse:
    """Runs `synapse ...` on the warehouse under test, given standard input; returns (status, stdout, stderr)."""
    monkeypatch.setenv(DATABASE_URL_ENV, warehouse_url)

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        result = CliRunner().invoke(cli.synapse, argv, input=stdin, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture
def engine(synapse: Synapse) -> Iterator[Engine]:
    """The warehouse the commands use, opened as they open it (which creates its schema)."""
    engine = open_engine()
    yield engine
    engine.dispose()


def test_cli_end_to_end(synapse: Synapse, request: pytest.FixtureRequest) -> None:
    assert synapse("users", "list")[:2] == (
        0,
        "no users yet (add one: synapse users add --username NAME --email EMAIL)\n",
    )

    engine: Engine = request.getfixturevalue("engine")  # only now: the command above created the SQLite schema
    status, out, _ = synapse("users", "add", "--username", "Ana", "--email", "Ana@Example.com", stdin=PASSWORD + "\n")
    assert status == 0
    assert re.fullmatch(r"added ana@example\.com \(id \d+\)\n", out)
    status, out, _ = synapse(
        "users",
        "add",
        "--username",
        "Bia",
        "--email",
        "bia@example.com",
        "--admin",
        "--no-email",
        stdin="s3cret-bia\r\n",
    )
    assert status == 0
    assert verify_password("s3cret-bia", stored_hash(engine, "bia@example.com"))  # the \r\n is not kept
    status, out, err = synapse("users", "add", "--username", "Ana 2", "--email", "ANA@example.com", stdin="secret123\n")
    assert (status, out) == (1, "")
    assert err == "error: a user with email ana@example.com already exists (id 1)\n"

    status, out, _ = synapse("users", "list")
    assert status == 0
    header, _rule, ana_line, bia_line = out.splitlines()
    assert " ".join(header.split()) == "id username email admin active receives email last update (UTC)"
    assert ana_line.split()[1:6] == ["Ana", "ana@example.com", "no", "yes", "yes"]
    assert bia_line.split()[1:6] == ["Bia", "bia@example.com", "yes", "yes", "no"]
    ana_hash = stored_hash(engine, "ana@example.com")
    assert ana_hash not in out
    assert "$2b$" not in out

    assert synapse("users", "deactivate", "ANA@example.com")[:2] == (0, "deactivated ana@example.com\n")
    with engine.connect() as conn:
        assert recipients(conn) == []
    assert synapse("users", "activate", "ana@example.com")[:2] == (0, "activated ana@example.com\n")
    assert synapse("users", "set-email-preference", "ana@example.com", "off")[:2] == (
        0,
        "ana@example.com does not receive the report by email\n",
    )
    assert synapse("users", "set-email-preference", "bia@example.com", "on")[:2] == (
        0,
        "bia@example.com receives the report by email\n",
    )
    with engine.connect() as conn:
        assert [u.email for u in recipients(conn)] == ["bia@example.com"]

    assert synapse("users", "set-password", "ana@example.com", stdin="another-secret\n")[:2] == (
        0,
        "password changed for ana@example.com\n",
    )
    new_hash = stored_hash(engine, "ana@example.com")
    assert new_hash != ana_hash
    assert verify_password("another-secret", new_hash)


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("add", "--username", "Bia", "--email", "bia@example"), "secret123\n", "not a valid email address"),
        (("add", "--username", " ", "--email", "bia@example.com"), "secret123\n", "username must not be empty"),
        (("add", "--username", "Bia", "--email", "bia@example.com"), "short\n", "at least 8 characters"),
        (("add", "--username", "Bia", "--email", "bia@example.com"), "", "no password"),
        (("set-password", "nobody@example.com"), "", "no password"),
        (("set-password", "nobody@example.com"), "secret123\n", "no user with email nobody@example.com"),
        (("deactivate", "nobody@example.com"), "", "no user with email nobody@example.com"),
        (("set-email-preference", "nobody@example.com", "on"), "", "no user with email nobody@example.com"),
    ],
)
def test_cli_errors_exit_1_and_change_nothing(
    synapse: Synapse, engine: Engine, argv: tuple[str, ...], stdin: str, message: str
) -> None:
    status, out, err = synapse("users", *argv, stdin=stdin)
    assert (status, out) == (1, "")
    assert err.startswith("error: ")
    assert message in err
    with engine.connect() as conn:
        assert list_users(conn) == []


def test_cli_has_no_password_option(synapse: Synapse) -> None:
    status, _, _ = synapse("users", "add", "--username", "Ana", "--email", "ana@example.com", "--password", PASSWORD)
    assert status == 2
