"""The configured warehouse for every command: opened with its schema at the newest revision, summarised
(`synapse summary`) and restored from a backup (`synapse restore`), both of which print each table's row count
and checksum alike."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from synapse_pipeline.cli.errors import CommandError, database_reason, fail
from synapse_pipeline.settings import DATABASE_URL_ENV, database_url

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine


def warehouse_url() -> str:
    """The configured warehouse's URL (`settings.database_url()`), refused in one sentence when it names no
    warehouse the project supports: SQLAlchemy would otherwise fail on a driver nobody installed."""
    from synapse_pipeline.warehouse.database import UnsupportedDatabase, normalise_url

    url = database_url()
    try:
        normalise_url(url)
    except UnsupportedDatabase as error:
        fail(f"synapse: {DATABASE_URL_ENV}: {error}")
    return url


def reachable_engine() -> "Engine":
    """The configured warehouse as it is; one that cannot be reached is named (password masked) with the
    database's own reason."""
    from sqlalchemy.exc import OperationalError

    from synapse_pipeline.warehouse.database import make_engine, masked

    url = warehouse_url()
    engine = make_engine(url)
    try:
        engine.connect().close()
    except OperationalError as error:
        engine.dispose()
        reason = database_reason(str(error.orig))
        raise CommandError(f"cannot connect to the database {masked(url)}: {reason}") from error
    return engine


def open_engine() -> "Engine":
    """The configured warehouse, its schema brought to the newest revision (`synapse db upgrade`)."""
    from synapse_pipeline.warehouse.schema import upgrade_schema

    engine = reachable_engine()
    try:
        upgrade_schema(engine)
    except Exception:
        engine.dispose()
        raise
    return engine


@contextmanager
def connection() -> Iterator["Connection"]:
    """A connection to the configured warehouse, its engine disposed afterwards."""
    engine = open_engine()
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def print_checksums(checksums: Mapping[str, tuple[int, str]]) -> None:
    """One line per table: its name, row count and the first 16 hex digits of its content's sha256."""
    for table, (rows, checksum) in checksums.items():
        click.echo(f"{table:<22} {rows:>10,} rows  sha256 {checksum[:16]}")


def print_summary() -> None:
    """The configured warehouse's URL (password masked), then the row count and checksum of every table."""
    from synapse_pipeline.forecast.tables import DERIVED_TABLES
    from synapse_pipeline.warehouse.database import masked
    from synapse_pipeline.warehouse.fingerprint import warehouse_checksums

    with connection() as conn:
        click.echo(masked(conn.engine.url))
        print_checksums(warehouse_checksums(conn, DERIVED_TABLES))


@click.command()
def summary() -> None:
    """Row count and checksum of every warehouse table."""
    print_summary()


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--to", metavar="URL", help="SQLAlchemy URL of the target (default: the configured warehouse)")
def restore_command(file: Path, to: str | None) -> None:
    """Restore a backup into the warehouse (or another one).

    FILE is a backup made by the `backup` asset: a synapse-*.dump restores into PostgreSQL, a synapse-*.sqlite
    into SQLite. The target's tables are
    replaced by the backup's; every table's row count and checksum are printed afterwards.
    """
    from sqlalchemy.exc import ArgumentError

    from synapse_pipeline.warehouse.backup import BackupError, kind_of, restore, table_rows
    from synapse_pipeline.warehouse.database import masked

    url = to or database_url()
    try:
        restore(file, url)
    except (BackupError, ArgumentError) as error:
        fail(f"error: {error}")
    click.echo(f"restored {file} ({kind_of(file)}) into {masked(url)}")
    print_checksums(table_rows(url))
