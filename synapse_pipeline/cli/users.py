"""`synapse users ...`: manage who receives the monthly report, from the terminal or a script.

Passwords never travel on the command line (where `ps` and the shell history would show them): they are asked
twice at a terminal, or read as one line from standard input when it is a pipe or a file.
"""

import argparse
import getpass
import sys
from collections.abc import Callable
from functools import partial

from sqlalchemy import Connection, Engine
from tabulate import tabulate

from synapse_pipeline.delivery.users import (
    UserError,
    add_user,
    list_users,
    set_active,
    set_email_preference,
    set_password,
)
from synapse_pipeline.warehouse.database import create_schema

EngineFactory = Callable[[], Engine]
LIST_HEADERS = ("id", "username", "email", "admin", "active", "receives email", "last update (UTC)")


def _fail(error: UserError) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 1


def _read_password() -> str:
    """The new password: prompted twice at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("password again: ") != password:
            raise UserError("the two passwords differ")
        return password
    line = sys.stdin.readline()
    if not line:
        raise UserError("no password: expected it as one line on standard input")
    return line.removesuffix("\n").removesuffix("\r")


def _execute(engine_factory: EngineFactory, work: Callable[[Connection], str]) -> int:
    """Run `work` in one transaction on a warehouse whose schema exists; print its result or the error."""
    engine = engine_factory()
    try:
        create_schema(engine)
        with engine.begin() as conn:
            message = work(conn)
    except UserError as error:
        return _fail(error)
    finally:
        engine.dispose()
    print(message)
    return 0


def _execute_with_password(engine_factory: EngineFactory, work: Callable[[Connection, str], str]) -> int:
    """As `_execute`, with a password read before any transaction is opened."""
    try:
        password = _read_password()
    except UserError as error:
        return _fail(error)
    return _execute(engine_factory, lambda conn: work(conn, password))


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _add(args: argparse.Namespace, engine_factory: EngineFactory) -> int:
    def work(conn: Connection, password: str) -> str:
        user = add_user(
            conn,
            username=args.username,
            email=args.email,
            password=password,
            is_admin=args.admin,
            receive_email=not args.no_email,
        )
        return f"added {user.email} (id {user.id})"

    return _execute_with_password(engine_factory, work)


def _list(_args: argparse.Namespace, engine_factory: EngineFactory) -> int:
    def work(conn: Connection) -> str:
        users = list_users(conn)
        if not users:
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
            for u in users
        ]
        return tabulate(rows, headers=LIST_HEADERS)

    return _execute(engine_factory, work)


def _set_active(args: argparse.Namespace, engine_factory: EngineFactory, *, active: bool) -> int:
    def work(conn: Connection) -> str:
        user = set_active(conn, args.email, active)
        return f"{'activated' if active else 'deactivated'} {user.email}"

    return _execute(engine_factory, work)


def _set_password(args: argparse.Namespace, engine_factory: EngineFactory) -> int:
    def work(conn: Connection, password: str) -> str:
        return f"password changed for {set_password(conn, args.email, password).email}"

    return _execute_with_password(engine_factory, work)


def _set_email_preference(args: argparse.Namespace, engine_factory: EngineFactory) -> int:
    def work(conn: Connection) -> str:
        user = set_email_preference(conn, args.email, args.preference == "on")
        return f"{user.email} {'receives' if user.receive_email else 'does not receive'} the report by email"

    return _execute(engine_factory, work)


def register(commands: argparse._SubParsersAction, engine_factory: EngineFactory) -> None:
    """Add `users` and its subcommands to the `synapse` parser; handlers open the warehouse with `engine_factory`."""
    users = commands.add_parser("users", help="who receives the monthly report").add_subparsers(
        dest="users_command", required=True
    )

    add = users.add_parser(
        "add",
        help="add a user; the password is asked twice, or read as one line from standard input",
    )
    add.add_argument("--username", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--admin", action="store_true", help="an administrator")
    add.add_argument("--no-email", action="store_true", help="do not send this user the report")
    add.set_defaults(handler=partial(_add, engine_factory=engine_factory))

    listing = users.add_parser("list", help="every user (never the password hash)")
    listing.set_defaults(handler=partial(_list, engine_factory=engine_factory))

    for name, active, help_text in (
        ("deactivate", False, "stop sending a user the report; the user and their history stay"),
        ("activate", True, "re-activate a user"),
    ):
        command = users.add_parser(name, help=help_text)
        command.add_argument("email")
        command.set_defaults(handler=partial(_set_active, engine_factory=engine_factory, active=active))

    password = users.add_parser(
        "set-password", help="replace a user's password (asked twice, or one line from standard input)"
    )
    password.add_argument("email")
    password.set_defaults(handler=partial(_set_password, engine_factory=engine_factory))

    preference = users.add_parser("set-email-preference", help="whether a user receives the report by email")
    preference.add_argument("email")
    preference.add_argument("preference", choices=("on", "off"))
    preference.set_defaults(handler=partial(_set_email_preference, engine_factory=engine_factory))
