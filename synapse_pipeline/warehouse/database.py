"""Engines and schema creation for both warehouses: PostgreSQL from `sql/`, SQLite from the models."""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from synapse_pipeline.lib.files import PRIVATE_FOLDER, private_file, private_folder
from synapse_pipeline.settings import SQL_DIR, state_dir
from synapse_pipeline.warehouse.models import Base

# SQLite has one writer at a time; another waits this long for it (sqlite3's default, 5 s, fails a run whose load
# meets a KPI rebuild or a delivery of another run). Runs wait for each other instead, as on PostgreSQL's locks.
SQLITE_BUSY_SECONDS = 600


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
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


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


def ddl_statements() -> list[str]:
    """The statements of every `sql/*.sql` file, in file order."""
    statements = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        lines = [line.split("--", 1)[0] for line in path.read_text().splitlines()]
        statements += [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
    return statements


def _schema_objects() -> list[str]:
    """Names of every table and index of the models (which mirror sql/)."""
    tables = Base.metadata.sorted_tables
    return [t.name for t in tables] + [i.name for t in tables for i in t.indexes if i.name]


def create_schema(engine: Engine) -> None:
    """Create every table and index if missing; safe to run before every load.

    On PostgreSQL the DDL only runs when something is missing: `CREATE INDEX IF NOT EXISTS` still takes a SHARE
    lock on its table, which would make every run wait for any load in progress.
    """
    if engine.dialect.name != "postgresql":
        with _sqlite_schema_lock(engine), engine.begin() as conn:
            Base.metadata.create_all(conn)
        return
    with engine.begin() as conn:
        names = _schema_objects()
        present = conn.execute(
            text(
                "SELECT count(*) FROM pg_class "
                "WHERE relname = ANY(:names) AND relnamespace = current_schema()::regnamespace"
            ),
            {"names": names},
        ).scalar_one()
        if present == len(names):
            return
        # Serialise concurrent runs creating the schema at once.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('synapse.schema'))")
        for statement in ddl_statements():
            conn.exec_driver_sql(statement)


@contextmanager
def _sqlite_schema_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema creation across processes: SQLite's create_all checks, then creates (a race)."""
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with private_file(Path(f"{database}.schema-lock")).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"
