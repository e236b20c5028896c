"""Backups of the warehouse and their restore: `pg_dump --format=custom` for PostgreSQL, SQLite's online backup API.

A backup is written under a temporary name and renamed when complete, so a file named `synapse-*.dump` or
`synapse-*.sqlite` is always whole. Passwords reach `pg_dump`/`pg_restore` only through `PGPASSWORD`, never their
command line, and are masked in every error.
"""

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

from sqlalchemy import Connection, MetaData, Table, create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from synapse_pipeline.lib.files import private_folder, written_atomically
from synapse_pipeline.warehouse.database import make_engine, masked
from synapse_pipeline.warehouse.fingerprint import table_checksum, warehouse_checksums
from synapse_pipeline.warehouse.models import Base
from synapse_pipeline.warehouse.schema import VERSION_TABLE

PG_DUMP_SUFFIX = ".dump"
SQLITE_SUFFIX = ".sqlite"
KINDS = {PG_DUMP_SUFFIX: "pg_dump custom", SQLITE_SUFFIX: "sqlite"}
BACKENDS = {PG_DUMP_SUFFIX: "postgresql", SQLITE_SUFFIX: "sqlite"}
# synapse-20250804T031500Z.dump; a second backup within the same second gets -1, -2, ...
BACKUP_NAME = re.compile(r"^synapse-(\d{8}T\d{6}Z)(?:-(\d+))?(\.dump|\.sqlite)$")


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message never holds a password."""


def kind_of(path: Path) -> str:
    """'pg_dump custom' or 'sqlite', from the file's extension."""
    try:
        return KINDS[path.suffix]
    except KeyError:
        raise BackupError(f"{path.name}: unknown backup kind, expected a {' or '.join(KINDS)} file") from None


def backups(directory: Path, suffix: str) -> list[Path]:
    """The backups of one kind in `directory`, oldest first (by the time in their name, not the file's mtime)."""
    found = []
    for path in directory.glob(f"synapse-*{suffix}"):
        match = BACKUP_NAME.match(path.name)
        if match and match[3] == suffix:
            found.append(((match[1], int(match[2] or 0)), path))
    return [path for _, path in sorted(found)]


def prune(directory: Path, suffix: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups of one kind; returns those kept, newest first."""
    found = backups(directory, suffix)
    for old in found[:-keep]:
        old.unlink()
    return found[-keep:][::-1]


def backup(url: str, directory: Path, keep: int, *, snapshot: str | None = None) -> Path:
    """Back up the warehouse at `url` into `directory` and keep only its newest `keep` backups of that kind.

    `snapshot` (PostgreSQL only) is a `pg_export_snapshot()` for pg_dump to read, so that a caller can describe
    exactly the data that was dumped.
    """
    if keep < 1:
        raise BackupError(f"keep must be at least 1, not {keep}: the new backup would be deleted at once")
    parsed = make_url(url)
    suffix = _suffix_for(parsed)
    target = _new_name(private_folder(directory), suffix)
    with written_atomically(target, private=True) as partial:
        if suffix == PG_DUMP_SUFFIX:
            options = [f"--snapshot={snapshot}"] if snapshot else []
            _run_pg("pg_dump", parsed, ["--format=custom", f"--file={partial}", *options])
        else:
            if snapshot:
                raise BackupError("a snapshot applies to PostgreSQL only")
            _sqlite_copy(_sqlite_path(parsed, must_exist=True), partial, standalone=True)
    prune(directory, suffix, keep)
    return target


def backup_with_checksums(
    url: str, directory: Path, keep: int, extra_tables: Iterable[str] = ()
) -> tuple[Path, dict[str, tuple[int, str]]]:
    """`backup`, and the `warehouse_checksums` of exactly the data it holds, even while loads run beside it.

    PostgreSQL: pg_dump reads the snapshot of the transaction that computes the checksums. SQLite: the checksums
    are read off the backup file itself.
    """
    if make_url(url).get_backend_name() == "postgresql":
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                    path = backup(url, directory, keep, snapshot=snapshot)
                    return path, warehouse_checksums(conn, extra_tables)
        finally:
            engine.dispose()
    path = backup(url, directory, keep)
    copy = create_engine("sqlite://", creator=lambda: sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True))
    try:
        with copy.connect() as conn:
            return path, warehouse_checksums(conn, extra_tables)
    finally:
        copy.dispose()


def restore(file: Path, url: str) -> None:
    """Restore a backup into the warehouse at `url`, which may be a fresh, empty database.

    A dump is restored with `pg_restore --clean --if-exists --no-owner --single-transaction`: all of it or
    nothing, and tables the dump does not hold are left alone. An SQLite backup replaces the whole target file's
    content through the backup API.
    """
    suffix = file.suffix
    kind = kind_of(file)
    if not file.is_file():
        raise BackupError(f"no backup file at {file}")
    parsed = make_url(url)
    if parsed.get_backend_name() != BACKENDS[suffix]:
        raise BackupError(
            f"{file.name} is a {kind} backup, it restores into {BACKENDS[suffix]} only, not {masked(parsed)}"
        )
    if suffix == PG_DUMP_SUFFIX:
        _forget_revision(url)
        _run_pg("pg_restore", parsed, ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(file)])
    else:
        _sqlite_copy(file, _sqlite_path(parsed, must_exist=False), standalone=False)


def _forget_revision(url: str) -> None:
    """Drop the target's schema revision before a dump replaces its tables: the dump brings its own, and one made
    before migrations brings none, so the next use recognises the restored schema and stamps it (a revision
    left behind would claim a schema the restored tables do not have)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {VERSION_TABLE}")
    except OperationalError:
        return  # an unreachable target: pg_restore, next, says why in its own words
    finally:
        engine.dispose()


def table_rows(url: str) -> dict[str, tuple[int, str]]:
    """(rows, sha256) of every table in the database, as `synapse summary` computes them for the model tables."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return _checksums_of_every_table(conn)
    finally:
        engine.dispose()


def _suffix_for(url: URL) -> str:
    for suffix, backend in BACKENDS.items():
        if url.get_backend_name() == backend:
            return suffix
    raise BackupError(f"cannot back up a {url.get_backend_name()} warehouse ({masked(url)}): PostgreSQL or SQLite only")


def _new_name(directory: Path, suffix: str) -> Path:
    """`synapse-<UTC time><suffix>`, numbered after any backup of the same second so it always sorts newest."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    same_second = [m for p in backups(directory, suffix) if (m := BACKUP_NAME.match(p.name)) and m[1] == stamp]
    n = max((int(m[2] or 0) + 1 for m in same_second), default=0)
    return directory / (f"synapse-{stamp}-{n}{suffix}" if n else f"synapse-{stamp}{suffix}")


def _run_pg(program: str, url: URL, arguments: list[str]) -> None:
    """Run pg_dump/pg_restore on the database of `url`: the password goes in PGPASSWORD, never on the command line."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not on PATH: install the PostgreSQL client of the server's major version")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    conninfo = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    ).render_as_string(hide_password=False)
    command = [executable, "--no-password", f"--dbname={conninfo}", *arguments]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        stderr = _mask_secret(result.stderr.strip(), url.password)
        raise BackupError(f"{program} failed on {masked(url)} (exit {result.returncode}): {stderr}")


def _mask_secret(text: str, secret: object) -> str:
    if not secret:
        return text
    for form in {str(secret), quote(str(secret), safe=""), quote_plus(str(secret))}:
        text = text.replace(form, "***")
    return text


def _sqlite_path(url: URL, *, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"an SQLite backup needs a plain database file, not {masked(url)}")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise BackupError(f"no SQLite warehouse at {path}")
    return path


def _sqlite_copy(source: Path, target: Path, *, standalone: bool) -> None:
    """Copy a whole SQLite database with the online backup API: consistent even while others write the source.

    A `standalone` copy (a backup file) is switched to a rollback journal, so it never needs a `-wal` file beside it.
    """
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        # An empty or foreign file fails here, before the target is touched.
        if not src.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise BackupError(f"{source} holds no tables: not a Synapse warehouse")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            if standalone:
                dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"SQLite copy of {source.name} into {target} failed: {error}") from error
    finally:
        src.close()


def _checksums_of_every_table(conn: Connection) -> dict[str, tuple[int, str]]:
    reflected = MetaData()
    checksums = {}
    for name in sorted(inspect(conn).get_table_names()):
        table = Base.metadata.tables.get(name)
        if table is None:
            table = Table(name, reflected, autoload_with=conn)
        checksums[name] = table_checksum(conn, table)
    return checksums
