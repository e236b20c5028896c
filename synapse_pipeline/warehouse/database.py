"""Engines for both warehouses; their schema is the migrations' (`schema.py`)."""

import sqlite3
import time
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from synapse_pipeline.lib.files import PRIVATE_FOLDER, private_file, private_folder
from synapse_pipeline.settings import state_dir

# SQLite has one writer at a time; another waits this long for it (sqlite3's default, 5 s, fails a run whose load
# meets a KPI rebuild or a delivery of another run). Runs wait for each other instead, as on PostgreSQL's locks.
SQLITE_BUSY_SECONDS = 600
WAL_RETRY_SECONDS = 0.05  # between tries to switch a new file to WAL while another connection switches it


SUPPORTED_KINDS = ("postgresql", "sqlite")  # the warehouses Synapse loads, backs up and restores


class UnsupportedDatabase(ValueError):
    """A URL that names no warehouse Synapse supports: said in one sentence, before SQLAlchemy looks for a driver."""


def normalise_url(url: str | URL) -> URL:
    """PostgreSQL URLs always use psycopg 3, whose COPY API the loaders rely on; other kinds than PostgreSQL and
    SQLite are refused."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:  # its text is not repeated: an unparsable URL may still hold a password
        raise UnsupportedDatabase("not a database URL (e.g. postgresql://user@host:5432/name)") from error
    kind = parsed.get_backend_name()
    if kind not in SUPPORTED_KINDS:
        raise UnsupportedDatabase(
            f"unsupported database kind {kind!r} ({masked(parsed)}): the warehouse is {' or '.join(SUPPORTED_KINDS)}"
        )
    if kind == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def masked(url: str | URL) -> str:
    """The URL as it may be shown in logs and the UI: password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    _write_ahead_log(cursor)
    cursor.close()


def _write_ahead_log(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL, which it then keeps. The switch takes an exclusive lock without SQLite's busy wait:
    two processes opening a new warehouse at once would fail one with "database is locked", so it is tried again."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_SECONDS)


def _private_warehouse_file(path: Path) -> None:
    """The SQLite file (and the `-wal`/`-shm` files SQLite gives its mode) readable by its owner only; its folder
    made so if missing, and the state folder, which is Synapse's own, tightened too."""
    if path.parent.resolve() == state_dir().resolve():
        private_folder(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    private_file(path)


def make_engine(url: str | URL) -> Engine:
    """An engine with foreign keys enforced on SQLite too, writers waiting for each other; creates the file's folder."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_warehouse_file(Path(parsed.database))
        waits = {} if "timeout" in parsed.query else {"timeout": SQLITE_BUSY_SECONDS}  # a URL's own `?timeout=` wins
        engine = create_engine(parsed, connect_args=waits)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"
