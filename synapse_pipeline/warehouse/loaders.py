"""Fast, transactional writes: `COPY` on PostgreSQL (psycopg 3), `executemany` on SQLite.

Every function takes an open connection inside the caller's transaction, so a load either lands whole or
leaves the tables as they were.
"""

import io
import re
from collections.abc import Iterable
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from synapse_pipeline.warehouse.models import Clientes, Estoque, Faturamento, Report

CLIENT_NAME = re.compile(r"^Cliente (\d+)$")
CSV_OPTIONS = pa_csv.WriteOptions(include_header=False)
FATURAMENTO_LOCK = 7_301  # advisory-lock namespace of the faturamento months


def copy_frame(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Append `frame` (columns named as the table's) to `table`; returns the rows written."""
    if frame.empty:
        return 0
    if conn.dialect.name == "postgresql":
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(c) for c in frame.columns)
        sql = f"COPY {quote(table.name)} ({columns}) FROM STDIN WITH (FORMAT csv)"
        payload = io.BytesIO()  # Arrow's CSV writer (C++) serialises several times faster than pandas' to_csv
        pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), payload, CSV_OPTIONS)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(sql) as copy:
            copy.write(payload.getbuffer())
    else:
        conn.execute(table.insert(), frame.to_dict("records"))
    return len(frame)


def replace_estoque(conn: Connection, snapshot_dates: Iterable[datetime], chunks: Iterable[pd.DataFrame]) -> int:
    """Replace the rows of the file's snapshot dates only; other snapshots stay."""
    conn.execute(delete(Estoque).where(Estoque.data.in_(list(snapshot_dates))))
    return sum(copy_frame(conn, Estoque.__table__, chunk) for chunk in chunks)


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


def replace_faturamento(conn: Connection, start: datetime, end: datetime, chunks: Iterable[pd.DataFrame]) -> int:
    """Replace every billing line dated in [start, end) with the file's lines of that window."""
    lock_months(conn, start, end)
    conn.execute(delete(Faturamento).where(Faturamento.data >= start, Faturamento.data < end))
    written = 0
    for chunk in chunks:
        window = chunk[(chunk["data"] >= start) & (chunk["data"] < end)]
        written += copy_frame(conn, Faturamento.__table__, window)
    return written


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
