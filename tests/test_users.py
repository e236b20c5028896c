"""Users of the report delivery: bcrypt hashing, email addresses and the `user` table operations, on SQLite and
PostgreSQL. bcrypt at cost 12 takes about a quarter of a second per hash, so each test adds as few users as it can.
"""

import dataclasses
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, func, text
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError

from synapse_pipeline.delivery.passwords import UserError, hash_password, verify_password
from synapse_pipeline.delivery.users import (
    UserView,
    add_user,
    find_user,
    list_users,
    normalise_email,
    recipients,
    set_active,
    set_email_preference,
    set_password,
)
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.models import User
from synapse_pipeline.warehouse.schema import upgrade_schema
from tests.support import PASSWORD, stored_hash


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    engine = make_engine(warehouse_url)
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def _count(conn: Connection) -> int:
    return conn.execute(sql_select(func.count()).select_from(User)).scalar_one()


# Hashing


def test_hash_is_bcrypt_at_cost_12_and_verifies() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$2b$12$")
    assert verify_password(PASSWORD, hashed)
    assert not verify_password("secret124", hashed)
    assert not verify_password(PASSWORD, "not a bcrypt hash")


def test_password_of_seven_characters_is_refused() -> None:
    with pytest.raises(UserError, match="at least 8 characters"):
        hash_password("1234567")


def test_password_over_72_bytes_is_refused_with_its_size() -> None:
    password = "é" * 36 + "a"  # 37 characters, 73 bytes in UTF-8
    with pytest.raises(UserError, match=re.escape("at most 72 bytes in UTF-8 (73 given)")):
        hash_password(password)


def test_multibyte_password_of_72_bytes_is_accepted_and_longer_never_matches() -> None:
    password = "é" * 36  # 36 characters, 72 bytes
    hashed = hash_password(password)
    assert verify_password(password, hashed)
    # bcrypt 4 would truncate this to the 72 bytes above and say yes.
    assert not verify_password(password + "a", hashed)


# Email addresses


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("ana@example.com", "ana@example.com"),
        ("  Ana.Silva@Example.COM ", "ana.silva@example.com"),
        ("compras+relatorio@aço-forte.com.br", "compras+relatorio@aço-forte.com.br"),
    ],
)
def test_email_is_stored_stripped_and_lower_cased(given: str, stored: str) -> None:
    assert normalise_email(given) == stored


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "ana@@example.com",
        "ana@x@example.com",
        "ana silva@example.com",
        "ana@example..com",
        "Ana <ana@example.com>",
        "ana@example.com, bia@example.com",
        "a" * 243 + "@example.com",  # 255 characters
    ],
)
def test_invalid_email_is_refused(email: str) -> None:
    with pytest.raises(UserError, match="email address"):
        normalise_email(email)


# The domain functions, on both warehouses


def test_add_and_list(engine: Engine) -> None:
    with engine.begin() as conn:
        ana = add_user(conn, username="  Ana ", email="Ana@Example.com", password=PASSWORD)
        bia = add_user(
            conn, username="Bia", email="bia@example.com", password=PASSWORD, is_admin=True, receive_email=False
        )
    assert (ana.username, ana.email, ana.is_admin, ana.is_active, ana.receive_email) == (
        "Ana",
        "ana@example.com",
        False,
        True,
        True,
    )
    assert (bia.is_admin, bia.receive_email) == (True, False)
    assert ana.last_access is None
    assert abs(datetime.now(UTC).replace(tzinfo=None) - ana.last_update) < timedelta(minutes=1)
    assert "password" not in {f.name for f in dataclasses.fields(UserView)}
    with engine.connect() as conn:
        assert list_users(conn) == [ana, bia]
        assert find_user(conn, " ANA@example.COM") == ana
    assert verify_password(PASSWORD, stored_hash(engine, "ana@example.com"))


def test_duplicate_email_is_refused_whatever_its_case(engine: Engine) -> None:
    with engine.begin() as conn:
        add_user(conn, username="Ana", email="ana@example.com", password=PASSWORD)
    with engine.begin() as conn:
        with pytest.raises(UserError, match=r"a user with email ana@example\.com already exists"):
            add_user(conn, username="Ana again", email=" ANA@Example.com", password=PASSWORD)
        assert _count(conn) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "   "}, "username must not be empty"),
        # A line break would print as a second line in `synapse users list` (and never reach a mail header).
        (
            {"username": "ana\r\nBcc: evil@example.com"},
            re.escape("the username must be one line of printable text: character 4 is '\\r'"),
        ),
        ({"username": "ana\tsilva"}, re.escape("character 4 is '\\t'")),
        ({"username": "ana\u200bsilva"}, re.escape("character 4 is '\\u200b'")),  # invisible: shows as "anasilva"
        ({"username": "a" * 101}, re.escape("at most 100 characters (101 given)")),
        ({"email": "ana@example"}, "not a valid email address"),
        ({"password": "short"}, "at least 8 characters"),
    ],
)
def test_add_refuses_bad_input_and_writes_nothing(engine: Engine, fields: dict[str, str], message: str) -> None:
    values = {"username": "Ana", "email": "ana@example.com", "password": PASSWORD} | fields
    with engine.begin() as conn:
        with pytest.raises(UserError, match=message):
            add_user(conn, **values)
        assert _count(conn) == 0


def test_unknown_email_is_a_user_error(engine: Engine) -> None:
    with engine.begin() as conn:
        for change in (
            lambda: find_user(conn, "nobody@example.com"),
            lambda: set_active(conn, "nobody@example.com", False),
            lambda: set_email_preference(conn, "nobody@example.com", False),
            lambda: set_password(conn, "nobody@example.com", PASSWORD),
        ):
            with pytest.raises(UserError, match=r"no user with email nobody@example\.com"):
                change()


def test_deactivate_activate_and_email_preference_move_last_update(engine: Engine) -> None:
    with engine.begin() as conn:
        added = add_user(conn, username="Ana", email="ana@example.com", password=PASSWORD)
        inactive = set_active(conn, "ANA@example.com", False)
        active = set_active(conn, "ana@example.com", True)
        no_email = set_email_preference(conn, "ana@example.com", False)
    assert (inactive.is_active, active.is_active, no_email.receive_email) == (False, True, False)
    assert added.last_update < inactive.last_update < active.last_update < no_email.last_update
    with engine.connect() as conn:
        assert find_user(conn, "ana@example.com") == no_email


def test_set_password_replaces_the_hash(engine: Engine) -> None:
    with engine.begin() as conn:
        added = add_user(conn, username="Ana", email="ana@example.com", password=PASSWORD)
    old_hash = stored_hash(engine, "ana@example.com")
    with engine.begin() as conn:
        changed = set_password(conn, "Ana@Example.com", "another-secret")
        with pytest.raises(UserError, match="at least 8 characters"):
            set_password(conn, "ana@example.com", "short")
    new_hash = stored_hash(engine, "ana@example.com")
    assert new_hash != old_hash
    assert verify_password("another-secret", new_hash)
    assert not verify_password(PASSWORD, new_hash)
    assert changed.last_update > added.last_update


def test_recipients_are_the_active_users_who_want_email(engine: Engine) -> None:
    with engine.begin() as conn:
        ana = add_user(conn, username="Ana", email="ana@example.com", password=PASSWORD)
        add_user(conn, username="Bia", email="bia@example.com", password=PASSWORD)
        add_user(conn, username="Caio", email="caio@example.com", password=PASSWORD, receive_email=False)
        set_active(conn, "bia@example.com", False)
        assert recipients(conn) == [ana]
        caio = set_email_preference(conn, "caio@example.com", True)
        assert recipients(conn) == [ana, caio]
        set_active(conn, "ana@example.com", False)
        assert recipients(conn) == [caio]


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_concurrent_add_of_the_same_email_is_a_user_error(engine: Engine) -> None:
    """Two sessions pass the duplicate check together; the unique constraint stops the second, as a UserError.

    PostgreSQL only: there the second INSERT waits for the first transaction, which lets the test order them.
    """
    outcome: dict[str, object] = {}

    def second_session() -> None:
        with engine.begin() as conn:
            try:
                add_user(conn, username="Ana 2", email="ana@example.com", password=PASSWORD)
            except UserError as error:
                outcome["error"] = error
            outcome["users_after"] = len(list_users(conn))  # the transaction is still usable

    first = engine.connect()
    transaction = first.begin()
    thread = threading.Thread(target=second_session)
    try:
        add_user(first, username="Ana", email="ana@example.com", password=PASSWORD)
        thread.start()
        deadline = time.monotonic() + 20
        while True:  # until the second INSERT waits on the first one's uncommitted row
            with engine.connect() as watcher:
                waiting = watcher.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
            if waiting or not thread.is_alive():
                break
            assert time.monotonic() < deadline, "the second session never reached its INSERT"
            time.sleep(0.02)
        transaction.commit()
    finally:
        if transaction.is_active:
            transaction.rollback()
        first.close()
        if thread.ident is not None:
            thread.join(timeout=20)
    error = outcome["error"]
    assert isinstance(error, UserError)
    assert isinstance(error.__cause__, IntegrityError)
    assert "already exists" in str(error)
    assert outcome["users_after"] == 1
