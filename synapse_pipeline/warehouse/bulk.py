"""Bulk loads on PostgreSQL: a large share of a table goes in without its indexes and keys, built again after."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Table, text

# A load at least this share of the table's rows goes faster without indexes and foreign keys, built again after:
# maintaining them costs per row loaded, building them once costs per row of the table.
BULK_SHARE = 0.25
# maintenance_work_mem of the index builds, PostgreSQL's default set explicitly: with it the builds run in parallel,
# sorting runs small enough for the CPU's caches. Faturamento's key, indexes and foreign key at 10M rows, 2 cores:
# 8.3-8.4 s at 64MB, 9.2 s at 128MB, 10.2 s at 512MB (one sort in memory is slower), 10.5-11.3 s at 16-32MB.
BULK_WORK_MEM = "64MB"


def is_bulk(conn: Connection, table: Table, incoming: int) -> bool:
    """Whether `incoming` rows are a large enough share of `table` to load them the bulk way (PostgreSQL only).

    The table's size is PostgreSQL's own estimate (`pg_class.reltuples`, kept by ANALYZE): it takes no lock on
    the table, and a wrong guess only costs time, never correctness.
    """
    if conn.dialect.name != "postgresql" or incoming <= 0:
        return False
    estimate = conn.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"), {"name": table.name}
    ).scalar_one()
    return incoming >= BULK_SHARE * (max(estimate, 0) + incoming)


def lock_table(conn: Connection, table: Table) -> str:
    """Take `table` for this transaction alone; returns its quoted name.

    A bulk load takes it before reading the table: two loads that each read first and then asked for this lock
    would deadlock.
    """
    name = conn.dialect.identifier_preparer.quote(table.name)
    conn.execute(text(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE"))
    return name


@contextmanager
def indexes_rebuilt_after(conn: Connection, table: Table) -> Iterator[list[float]]:
    """Drop `table`'s indexes and constraints, let the caller load, then build them again and ANALYZE.

    PostgreSQL's advice for bulk loads ("Populating a Database"). It all happens in the caller's transaction
    under an ACCESS EXCLUSIVE lock: readers wait, then see the old rows or the new ones with every index and
    constraint in place; a failure rolls the drops back too. The definitions are read from the catalog, so
    `sql/` stays the one place they are written. A key other tables reference is left in place. Yields a list
    that receives the seconds spent building.
    """
    name = lock_table(conn, table)
    oid = {"name": table.name}
    constraints = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c WHERE conrelid = CAST(:name AS regclass) "
            "AND (contype = 'f' OR (contype IN ('p', 'u') AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint r WHERE r.confrelid = c.conrelid AND r.contype = 'f'))) "
            "ORDER BY contype = 'f', conname"
        ),
        oid,
    ).all()
    indexes = conn.execute(
        text(
            "SELECT CAST(indexrelid AS regclass)::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = CAST(:name AS regclass) "
            "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = CAST(:name AS regclass))"
        ),
        oid,
    ).all()
    for constraint, _ in reversed(constraints):
        conn.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT {conn.dialect.identifier_preparer.quote(constraint)}"))
    for index, _ in indexes:
        conn.execute(text(f"DROP INDEX {index}"))
    timing: list[float] = []
    yield timing
    started = time.perf_counter()
    conn.execute(text(f"SET LOCAL maintenance_work_mem = '{BULK_WORK_MEM}'"))
    for constraint, definition in constraints:
        quoted = conn.dialect.identifier_preparer.quote(constraint)
        conn.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT {quoted} {definition}"))
    for _, definition in indexes:
        conn.execute(text(definition))
    conn.execute(text(f"ANALYZE {name}"))
    timing.append(time.perf_counter() - started)
