"""The people who receive the monthly report: their accounts and email preferences in the `user` table.

Every function works on an open `Connection` inside the caller's transaction, so a command commits all or nothing.
Passwords are checked and hashed by `passwords`; no function here returns a hash.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from synapse_pipeline.delivery import audit
from synapse_pipeline.delivery.passwords import UserError, check_password, hash_password
from synapse_pipeline.reports.queries import first_report_for_a_new_reader
from synapse_pipeline.warehouse.database import is_postgres
from synapse_pipeline.warehouse.models import User

MAX_EMAIL_LENGTH = 254  # the longest address SMTP can carry (RFC 5321 path limit minus the brackets)
MAX_USERNAME_LENGTH = 100  # a name shown in one column of `synapse users list`
AUDITED_FIELDS = ("username", "email", "is_admin", "is_active", "receive_email")

# One `@`; a local part without spaces or quotes; a domain of two or more dot-separated labels of letters
# (accents allowed), digits and hyphens. `parseaddr` separately rejects display names, comments and lists.
_EMAIL = re.compile(r'[^@\s"]+@[\w-]+(?:\.[\w-]+)+')


@dataclass(frozen=True)
class UserView:
    """A user as shown and used outside this module: everything but the password hash."""

    id: int
    username: str
    email: str
    is_admin: bool
    is_active: bool
    receive_email: bool
    last_update: datetime
    last_access: datetime | None
    reports_from: str | None  # the first report they receive (None: every one)


_VIEW_COLUMNS = (
    User.id,
    User.username,
    User.email,
    User.is_admin,
    User.is_active,
    User.receive_email,
    User.last_update,
    User.last_access,
    User.reports_from,
)


def _now() -> datetime:
    """Naive UTC, the convention of the `TIMESTAMP` columns (and of SQLite's CURRENT_TIMESTAMP)."""
    return datetime.now(UTC).replace(tzinfo=None)


def normalise_email(email: str) -> str:
    """The address as stored: stripped and lower-cased, after checking it is a plain, plausible address."""
    address = email.strip()
    if len(address) > MAX_EMAIL_LENGTH:
        raise UserError(f"the email address must be at most {MAX_EMAIL_LENGTH} characters ({len(address)} given)")
    if parseaddr(address) != ("", address) or not _EMAIL.fullmatch(address):
        raise UserError(f"{email!r} is not a valid email address (expected one address like ana@example.com)")
    return address.lower()


def normalise_username(username: str) -> str:
    """The name as stored: stripped, one line of printable text, since it is shown back in lists and the UI."""
    name = username.strip()
    if not name:
        raise UserError("the username must not be empty")
    if len(name) > MAX_USERNAME_LENGTH:
        raise UserError(f"the username must be at most {MAX_USERNAME_LENGTH} characters ({len(name)} given)")
    for position, character in enumerate(name, start=1):
        if not character.isprintable():
            raise UserError(f"the username must be one line of printable text: character {position} is {character!r}")
    return name


def _view(row: Row) -> UserView:
    return UserView(**row._mapping)


def _lookup(conn: Connection, email: str) -> Row | None:
    # lower() on the column too, so rows written by other means still match case-insensitively.
    query = select(*_VIEW_COLUMNS).where(func.lower(User.email) == email.strip().lower())
    return conn.execute(query).first()


def find_user(conn: Connection, email: str) -> UserView:
    """The user with this email, whatever its case; UserError if there is none."""
    row = _lookup(conn, email)
    if row is None:
        raise UserError(f"no user with email {email.strip().lower()} (see: synapse users list)")
    return _view(row)


def _by_id(conn: Connection, user_id: int) -> UserView:
    return _view(conn.execute(select(*_VIEW_COLUMNS).where(User.id == user_id)).one())


@contextmanager
def _savepoint(conn: Connection) -> Iterator[None]:
    """Lets a failed INSERT leave the caller's transaction usable.

    PostgreSQL aborts the whole transaction on an error, so the INSERT runs in a savepoint there. SQLite undoes only
    the failed statement, and pysqlite's own BEGIN handling makes SAVEPOINT unreliable, so none is taken there.
    """
    with conn.begin_nested() if is_postgres(conn) else nullcontext():
        yield


def add_user(
    conn: Connection,
    *,
    username: str,
    email: str,
    password: str,
    is_admin: bool = False,
    receive_email: bool = True,
    actor: str | None = None,
) -> UserView:
    """A new active user; the email must be valid and not taken in any letter case. Audited."""
    name = normalise_username(username)
    address = normalise_email(email)
    check_password(password)  # before the duplicate check, so a bad password is reported whatever the email
    existing = _lookup(conn, address)
    if existing is not None:
        raise UserError(f"a user with email {address} already exists (id {existing.id})")
    # A new user receives from the latest complete month's report on; older ones only on request (`synapse deliver
    # --archive`).
    values = {
        "username": name,
        "email": address,
        "password": hash_password(password),
        "is_admin": is_admin,
        "is_active": True,
        "receive_email": receive_email,
        "last_update": _now(),
        "reports_from": first_report_for_a_new_reader(conn),
    }
    try:
        with _savepoint(conn):
            user_id = conn.execute(insert(User).values(values)).inserted_primary_key[0]
    except IntegrityError as error:
        # Another session added the same address between the check above and the INSERT.
        existing = _lookup(conn, address)
        if existing is None:
            raise
        raise UserError(f"a user with email {address} already exists (id {existing.id})") from error
    user = _by_id(conn, user_id)
    audit.record(
        conn,
        actor=actor or audit.cli_actor(),
        action=audit.CREATE,
        table="user",
        record_id=user.id,
        new={**_audited(user), "reports_from": user.reports_from},
    )
    return user


def list_users(conn: Connection) -> list[UserView]:
    """Every user, in the order they were added."""
    return [_view(row) for row in conn.execute(select(*_VIEW_COLUMNS).order_by(User.id))]


def recipients(conn: Connection, report_name: str | None = None) -> list[UserView]:
    """Who gets the monthly report: active users who want email, in the order they were added; for `report_name`,
    those who joined when it, or a report before it, was the latest (report names sort by month)."""
    query = select(*_VIEW_COLUMNS).where(User.is_active, User.receive_email).order_by(User.id)
    users = [_view(row) for row in conn.execute(query)]
    if report_name is None:
        return users
    return [user for user in users if (user.reports_from or "") <= report_name]


def administrators(conn: Connection) -> list[UserView]:
    """Who is alerted when something fails or is late: every active admin, whatever their report preference."""
    query = select(*_VIEW_COLUMNS).where(User.is_active, User.is_admin).order_by(User.id)
    return [_view(row) for row in conn.execute(query)]


def _audited(user: UserView) -> dict[str, object]:
    """The fields of a user the audit log shows: never the password or its hash."""
    return {field: getattr(user, field) for field in AUDITED_FIELDS}


def _change(conn: Connection, email: str, actor: str | None, **values: object) -> UserView:
    """Update a user and audit what changed (a new password only as `password_changed`)."""
    user = find_user(conn, email)
    conn.execute(update(User).where(User.id == user.id).values(**values, last_update=_now()))
    changed = _by_id(conn, user.id)
    before, after = _audited(user), _audited(changed)
    old = {k: v for k, v in before.items() if after[k] != v}
    new = {k: after[k] for k in old} | ({"password_changed": True} if "password" in values else {})
    audit.record(conn, actor=actor or audit.cli_actor(), action=audit.UPDATE, table="user", record_id=user.id,
                 old=old, new=new)  # fmt: skip
    return changed


def set_active(conn: Connection, email: str, active: bool, actor: str | None = None) -> UserView:
    """Activate or deactivate a user; an inactive user receives nothing and keeps the delivery history."""
    return _change(conn, email, actor, is_active=active)


def set_password(conn: Connection, email: str, password: str, actor: str | None = None) -> UserView:
    """Replace a user's password with the hash of a new one."""
    find_user(conn, email)  # an unknown email is reported before spending time on the hash
    return _change(conn, email, actor, password=hash_password(password))


def set_email_preference(conn: Connection, email: str, receive: bool, actor: str | None = None) -> UserView:
    """Whether the user wants the monthly report by email."""
    return _change(conn, email, actor, receive_email=receive)
