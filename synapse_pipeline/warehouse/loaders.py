"""Fast, transactional writes: `COPY` on PostgreSQL (psycopg 3), `executemany` on SQLite.

Every function takes an open connection inside the caller's transaction, so a load either lands whole or
leaves the tables as they were.
"""

import io
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, Table, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from synapse_pipeline.warehouse.models import Clientes, Estoque, Faturamento, Report

CLIENT_NAME = re.compile(r"^Cliente (\d+)$")
CSV_OPTIONS = pa_csv.WriteOptions(include_header=False)
PREPARE = "prepare CSV"  # the stage that turns typed chunks into COPY's input
FATURAMENTO_LOCK = 7_301  # advisory-lock namespace of the faturamento months
# A load at least this share of the table's rows goes faster without indexes and foreign keys, built again after:
# maintaining them costs per row loaded, building them once costs per row of the table.
BULK_SHARE = 0.25
BULK_WORK_MEM = "512MB"  # maintenance_work_mem of the index builds: sorts of 10M keys stay in memory


@dataclass(frozen=True)
class Batch:
    """Rows on their way into a table, with the CSV that COPY reads on PostgreSQL already made.

    Batches are made in the read-ahead thread, so the loading thread only sends while PostgreSQL parses.
    """

    frame: pd.DataFrame
    csv: memoryview | None = None


def batches(
    frames: Iterable[pd.DataFrame],
    dialect: str,
    seconds: Counter[str],
    keep: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> Iterator[Batch]:
    """The frames' rows (those `keep` selects) as batches for `dialect`; the time taken goes to `seconds[PREPARE]`."""
    for frame in frames:
        started = time.perf_counter()
        if keep is not None:
            frame = frame[keep(frame)]
        batch = Batch(frame, copy_csv(frame) if dialect == "postgresql" and not frame.empty else None)
        seconds[PREPARE] += time.perf_counter() - started
        yield batch


def copy_csv(frame: pd.DataFrame) -> memoryview:
    """`frame` as COPY's CSV, by Arrow's writer (C++: several times faster than pandas' to_csv).

    Timestamps that are all midnight go as dates: a sixth fewer bytes for PostgreSQL to parse, the same values.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, column in enumerate(table.columns):
        if pa.types.is_timestamp(column.type):
            days = column.cast(pa.date32())
            if pc.all(pc.equal(days.cast(column.type), column)).as_py() is not False:
                table = table.set_column(i, table.field(i).name, days)
    payload = io.BytesIO()
    pa_csv.write_csv(table, payload, CSV_OPTIONS)
    return payload.getbuffer()


def copy_batch(conn: Connection, table: Table, batch: Batch) -> int:
    """Append the batch (columns named as the table's) to `table`; returns the rows written."""
    frame = batch.frame
    if frame.empty:
        return 0
    if conn.dialect.name == "postgresql":
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(c) for c in frame.columns)
        sql = f"COPY {quote(table.name)} ({columns}) FROM STDIN WITH (FORMAT csv)"
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(sql) as copy:
            copy.write(batch.csv if batch.csv is not None else copy_csv(frame))
    else:
        conn.execute(table.insert(), frame.to_dict("records"))
    return len(frame)


def in_window(start: datetime, end: datetime) -> Callable[[pd.DataFrame], pd.Series]:
    """Selects the rows dated in [start, end)."""
    return lambda frame: (frame["data"] >= start) & (frame["data"] < end)


def replace_estoque(conn: Connection, snapshot_dates: Iterable[datetime], chunks: Iterable[Batch]) -> int:
    """Replace the rows of the file's snapshot dates only; other snapshots stay."""
    conn.execute(delete(Estoque).where(Estoque.data.in_(list(snapshot_dates))))
    return sum(copy_batch(conn, Estoque.__table__, chunk) for chunk in chunks)


def lock_months(conn: Connection, start: datetime, end: datetime) -> None:
    """Hold a transaction-scoped advisory lock on each month of [start, end) (PostgreSQL).

    Two runs replacing the same month would otherwise both delete nothing the other can see, then both insert:
    the second now waits for the first to commit, then replaces its rows. SQLite serialises writers anyway.
    """
    if conn.dialect.name != "postgresql":
        return
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    for month in range(first, last):
        conn.execute(select(func.pg_advisory_xact_lock(FATURAMENTO_LOCK, month)))


@dataclass(frozen=True)
class Load:
    """What a load wrote, and how: `bulk` when indexes and foreign keys were built again after COPY."""

    rows: int
    bulk: bool = False
    rebuild_seconds: float = 0.0


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


def replace_faturamento(
    conn: Connection, start: datetime, end: datetime, chunks: Iterable[Batch], incoming: int
) -> Load:
    """Replace every billing line dated in [start, end) with `chunks`, the file's lines of that window.

    `incoming`, the rows the file holds in the window, chooses the way: row by row into the indexes for a
    few months, or the bulk way (`indexes_rebuilt_after`) when the load is a large share of the table.
    """
    lock_months(conn, start, end)
    table = Faturamento.__table__
    window = (Faturamento.data >= start, Faturamento.data < end)
    if not is_bulk(conn, table, incoming):
        conn.execute(delete(Faturamento).where(*window))
        return Load(_copy_all(conn, chunks))
    name = lock_table(conn, table)
    outside = (Faturamento.data < start, Faturamento.data >= end)
    holds_all = not any(conn.execute(select(Faturamento.id).where(o).limit(1)).first() for o in outside)
    with indexes_rebuilt_after(conn, table) as rebuild:
        if holds_all:  # TRUNCATE leaves no dead rows behind, where DELETE would leave the whole old table
            conn.execute(text(f"TRUNCATE {name}"))
        else:
            conn.execute(delete(Faturamento).where(*window))
        written = _copy_all(conn, chunks)
    return Load(written, bulk=True, rebuild_seconds=rebuild[0])


def _copy_all(conn: Connection, chunks: Iterable[Batch]) -> int:
    return sum(copy_batch(conn, Faturamento.__table__, chunk) for chunk in chunks)


def add_clientes(conn: Connection, codes: Iterable[int]) -> list[tuple[int, str]]:
    """Add the codes not yet known as `Cliente N`, numbering on from the highest N; returns the new rows.

    Names already given never change, so a code keeps its name whatever arrives later.
    """
    known = {code: name for code, name in conn.execute(select(Clientes.cod_cliente, Clientes.nome))}
    taken = [int(m.group(1)) for name in known.values() if name and (m := CLIENT_NAME.match(name))]
    next_number = max(taken, default=0) + 1
    new = [
        (code, f"Cliente {number}") for number, code in enumerate(sorted(set(codes) - set(known)), start=next_number)
    ]
    if new:
        conn.execute(Clientes.__table__.insert(), [{"cod_cliente": c, "nome": n} for c, n in new])
    return new


def row_count(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def upsert_report(conn: Connection, name: str, content: str) -> int:
    """Store a report under its unique name: a new version replaces the row, never adds a second one."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(Report).values(name=name, content=content)
    statement = statement.on_conflict_do_update(
        index_elements=[Report.name],
        set_={"content": statement.excluded.content, "created_at": func.now()},
    ).returning(Report.id)
    return conn.execute(statement).scalar_one()
