"""The domain loads, transactional: the client master, an estoque snapshot, a window of billing months.

Every function takes an open connection inside the caller's transaction, so a load either lands whole or
leaves the tables as they were.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Table, delete, func, select, text

from synapse_pipeline.warehouse.bulk import indexes_rebuilt_after, is_bulk, lock_table
from synapse_pipeline.warehouse.copy import Batch, copy_batch
from synapse_pipeline.warehouse.models import Clientes, Estoque, Faturamento

CLIENT_NAME = re.compile(r"^Cliente (\d+)$")
FATURAMENTO_LOCK = 7_301  # advisory-lock namespace of the faturamento months


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
