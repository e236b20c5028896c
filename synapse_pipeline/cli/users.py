"""`synapse users ...`: manage who receives the monthly report, from the terminal or a script.

Passwords never travel on the command line (where `ps` and the shell history would show them): they are asked
twice at a terminal, or read as one line from standard input when it is a pipe or a file.
"""

import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from synapse_pipeline.cli.errors import fail
from synapse_pipeline.cli.warehouse import open_engine

if TYPE_CHECKING:
    from sqlalchemy import Connection

LIST_HEADERS = ("id", "username", "email", "admin", "active", "receives email", "last update (UTC)")


def _read_password() -> str:
    """The new password: prompted twice at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("password again: ") != password:
            fail("error: the two passwords differ")
        return password
    line = sys.stdin.readline()
    if not line:
        fail("error: no password: expected it as one line on standard input")
    return line.removesuffix("\n").removesuffix("\r")


def _execute(work: "Callable[[Connection], str]") -> None:
    """Run `work` in one transaction on the configured warehouse and print its result, or its UserError."""
    from synapse_pipeline.delivery.passwords import UserError

    engine = open_engine()
    try:
        with engine.begin() as conn:
            message = work(conn)
    except UserError as error:
        fail(f"error: {error}")
    finally:
        engine.dispose()
    click.echo(message)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


@click.group()
def users() -> None:
    """Who receives the monthly report."""


@users.command()
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--admin", is_flag=True, help="an administrator")
@click.option("--no-email", is_flag=True, help="do not send this user the report")
def add(username: str, email: str, admin: bool, no_email: bool) -> None:
    """Add a user; the password is asked, never an option.

    The password is asked twice at a terminal, or read as one line from standard input.
    """
    from synapse_pipeline.delivery.users import add_user

    password = _read_password()

    def work(conn: "Connection") -> str:
        user = add_user(
            conn, username=username, email=email, password=password, is_admin=admin, receive_email=not no_email
        )
        return f"added {user.email} (id {user.id})"

    _execute(work)


@users.command("list")
def listing() -> None:
    """Every user (never the password hash)."""
    from tabulate import tabulate

    from synapse_pipeline.delivery.users import list_users

    def work(conn: "Connection") -> str:
        found = list_users(conn)
        if not found:
            return "no users yet (add one: synapse users add --username NAME --email EMAIL)"
        rows = [
            (
                u.id,
                u.username,
                u.email,
                _yes_no(u.is_admin),
                _yes_no(u.is_active),
                _yes_no(u.receive_email),
                f"{u.last_update:%Y-%m-%d %H:%M}",
            )
            for u in found
        ]
        return tabulate(rows, headers=LIST_HEADERS)

    _execute(work)


@users.command()
@click.argument("email")
def deactivate(email: str) -> None:
    """Stop sending a user the report; their history stays."""
    from synapse_pipeline.delivery.users import set_active

    _execute(lambda conn: f"deactivated {set_active(conn, email, False).email}")


@users.command()
@click.argument("email")
def activate(email: str) -> None:
    """Re-activate a user."""
    from synapse_pipeline.delivery.users import set_active

    _execute(lambda conn: f"activated {set_active(conn, email, True).email}")


@users.command("set-password")
@click.argument("email")
def set_password_command(email: str) -> None:
    """Replace a user's password, asked as for `add`.

    The password is asked twice at a terminal, or read as one line from standard input.
    """
    from synapse_pipeline.delivery.users import set_password

    password = _read_password()
    _execute(lambda conn: f"password changed for {set_password(conn, email, password).email}")


@users.command("set-email-preference")
@click.argument("email")
@click.argument("preference", type=click.Choice(["on", "off"]))
def set_email_preference_command(email: str, preference: str) -> None:
    """Whether a user receives the report by email."""
    from synapse_pipeline.delivery.users import set_email_preference

    def work(conn: "Connection") -> str:
        user = set_email_preference(conn, email, preference == "on")
        return f"{user.email} {'receives' if user.receive_email else 'does not receive'} the report by email"

    _execute(work)
