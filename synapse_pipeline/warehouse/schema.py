"""The warehouse's schema version: the Alembic migrations of `migrations/`, applied on first use and by `synapse
db`, one process at a time. A warehouse made before migrations existed is recognised and stamped, never re-created;
one whose schema matches no known revision is refused, never altered blindly."""

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect

from synapse_pipeline.lib.files import private_file
from synapse_pipeline.warehouse.migrations.baseline import metadata as baseline_metadata
from synapse_pipeline.warehouse.models import Base

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BASELINE = "0001"  # the revision of the schema the code made before migrations (migrations/baseline.py)
LOCK_KEY = "synapse.schema"
VERSION_TABLE = "alembic_version"  # Alembic's default, where a warehouse records its revision


class UnknownSchema(RuntimeError):
    """The warehouse holds Synapse's tables but no revision of them: migrating it could lose data."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without an ini file, so an installed `synapse` finds the package's migrations; the
    connection, when given, is the one env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def revisions() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return revisions().get_current_head()


def history() -> list[Script]:
    """Every revision, newest first."""
    return list(revisions().walk_revisions())


def current_revision(conn: Connection) -> str | None:
    """The revision recorded in the warehouse (`alembic_version`), None if it has none."""
    return MigrationContext.configure(conn).get_current_revision()


def label(revision: str | None) -> str:
    """A revision as `synapse db` shows it: `0003 (head)` when it is the newest."""
    if revision is None:
        return "none"
    return f"{revision} (head)" if revision == head() else revision


def owned_by(metadata: MetaData) -> Callable[..., bool]:
    """Alembic's `include_object` filter: only the tables of `metadata`; the pipeline's own tables (KPI, forecast,
    rebuilt by each run) and Alembic's version table are not the migrations' to compare."""

    def include(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return type_ != "table" or name in metadata.tables

    return include


def _describe(difference: tuple | list) -> str:
    """One of compare_metadata's differences in words: what the warehouse lacks or has in addition."""
    if isinstance(difference, list):  # the changes of one column, grouped
        difference = difference[0]
    kind = difference[0]
    if kind.startswith("modify_"):
        _, _, table, column, _, found, expected = difference
        return f"{table}.{column} has {kind.removeprefix('modify_')} {found}, expected {expected}"
    if kind in ("add_column", "remove_column"):
        name = f"column {difference[2]}.{difference[3].name}"
    elif kind in ("add_table", "remove_table"):
        name = f"table {difference[1].name}"
    else:  # add_index, remove_index, add_constraint, remove_constraint, add_fk, remove_fk
        item = difference[1]
        columns = ", ".join(column.name for column in item.columns)
        name = f"{kind.split('_', 1)[1]} {item.name or ''} on {item.table.name}({columns})"
    return f"{name} is missing" if kind.startswith("add_") else f"unexpected {name}"


def schema_differences(conn: Connection, metadata: MetaData) -> list[str]:
    """How the warehouse's tables of `metadata` differ from it (types, nullability, keys, indexes, constraints)."""
    context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": owned_by(metadata)})
    return [_describe(difference) for difference in compare_metadata(context, metadata)]


def _recognise(conn: Connection) -> str | None:
    """The warehouse's revision; one made before migrations is stamped with the revision its schema is (the
    baseline, or head); None for an empty one. UnknownSchema when it matches neither."""
    current = current_revision(conn)
    if current is not None or not set(inspect(conn).get_table_names()) & set(baseline_metadata.tables):
        return current
    differences = schema_differences(conn, baseline_metadata)
    for revision, differs in ((BASELINE, differences), (head(), schema_differences(conn, Base.metadata))):
        if not differs:
            command.stamp(alembic_config(conn), revision)
            return revision
    raise UnknownSchema(
        f"the warehouse has no schema revision and its schema is not revision {BASELINE}'s ({'; '.join(differences)}):"
        " it was left as it is; make it match, or restore a backup"
    )


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations across processes on one SQLite file (a lock file beside it)."""
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


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection that one process at a time migrates, committed at the end: on PostgreSQL, in one transaction
    under an advisory lock; on SQLite, under a file lock, with foreign keys off while tables are recreated (a
    dropped table would otherwise cascade its deletes), checked afterwards."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock(hashtext('{LOCK_KEY}'))")
            yield conn
            conn.commit()
        return
    with _sqlite_file_lock(engine), engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            yield conn
            conn.commit()
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left rows whose foreign keys dangle: {broken[:5]}")
        finally:
            conn.rollback()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def upgrade_schema(engine: Engine, revision: str = "head") -> bool:
    """Bring the warehouse to `revision` (head: the models'), stamping one made before migrations first; whether
    this process changed its revision (stamped or migrated it). At head it only reads `alembic_version`: no DDL,
    no lock."""
    if revision == "head":
        with engine.connect() as conn:
            if current_revision(conn) == head():
                return False
    with _migrating(engine) as conn:
        before = current_revision(conn)
        _recognise(conn)
        command.upgrade(alembic_config(conn), revision)
        return current_revision(conn) != before


def downgrade_schema(engine: Engine, revision: str) -> None:
    """Take the warehouse back to `revision` with each later revision's downgrade."""
    with _migrating(engine) as conn:
        _recognise(conn)
        command.downgrade(alembic_config(conn), revision)


def warehouse_revision(engine: Engine) -> str | None:
    """The revision the warehouse is at, read only."""
    with engine.connect() as conn:
        return current_revision(conn)
