"""Which months of billing a KPI table must take in again: its watermark, kept in the warehouse beside it.

The Dagster instance records every faturamento month a load replaced (one materialization per month, each with its
storage id). A table refreshed by month keeps, in `kpi_estado` and in the same transaction as its rows, the storage
id of the newest faturamento materialization it had seen, the run that made it, and the version of its query and
inputs. The next refresh takes in the months materialized after that id.

Why the warehouse and not the instance: the watermark then commits or rolls back with the rows it describes (a
failed refresh leaves the old watermark, so its months are taken again), and a restored backup brings back the
watermark of the rows it holds: every month loaded after that backup is taken again, from the restored lines.
Anything the instance cannot vouch for means a rebuild: no watermark, a watermark of a materialization this
instance does not hold (another or a wiped instance), a changed query or table, or changed product groups.
A load is recorded after it commits, so a month committed while a refresh reads is taken again next time.
"""

import hashlib
from dataclasses import dataclass
from datetime import date

import dagster as dg
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    delete,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import DropTable

FATURAMENTO_KEY = dg.AssetKey("faturamento")
PAGE = 1000

state_metadata = MetaData()
KPI_ESTADO = Table(
    "kpi_estado",
    state_metadata,
    Column("tabela", String(64), primary_key=True, comment="KPI table refreshed by month"),
    Column("storage_id", BigInteger, comment="Newest faturamento materialization its rows include; empty: none"),
    Column("run_id", String(64), comment="The run of that materialization, to recognise the instance"),
    Column("registrado_em", Float, comment="When the instance recorded it (seconds since the epoch), likewise"),
    Column("versao", String(64), nullable=False, comment="Hash of its query, declaration and inputs' versions"),
)


@dataclass(frozen=True)
class Mark:
    """One faturamento materialization in the instance: how far a table's rows go."""

    storage_id: int
    run_id: str
    timestamp: float


@dataclass(frozen=True)
class Plan:
    """What a refresh does: every month again (`months` None), or the months listed (maybe none)."""

    months: list[date] | None
    mark: Mark | None
    reason: str


def _mark(record: dg.EventLogRecord) -> Mark:
    return Mark(record.storage_id, record.run_id, record.timestamp)


def latest_load(instance: dg.DagsterInstance) -> Mark | None:
    """The newest faturamento materialization, whatever its month."""
    records = instance.fetch_materializations(FATURAMENTO_KEY, limit=1).records
    return _mark(records[0]) if records else None


def _holds(instance: dg.DagsterInstance, mark: Mark) -> bool:
    """Whether this instance recorded `mark`: storage ids start at 1 in every instance, so the run and the time
    must match too (a materialization reported outside a run has an empty run id)."""
    found = dg.AssetRecordsFilter(asset_key=FATURAMENTO_KEY, storage_ids=[mark.storage_id])
    return any(_mark(r) == mark for r in instance.fetch_materializations(found, limit=1).records)


def months_loaded(instance: dg.DagsterInstance, after: Mark, upto: Mark) -> list[date]:
    """The months of the faturamento materializations after `after`, up to `upto` included, in order."""
    months: set[str] = set()
    window = dg.AssetRecordsFilter(
        asset_key=FATURAMENTO_KEY, after_storage_id=after.storage_id, before_storage_id=upto.storage_id + 1
    )
    cursor = None
    while True:
        page = instance.fetch_materializations(window, limit=PAGE, cursor=cursor, ascending=True)
        months.update(r.partition_key for r in page.records if r.partition_key)
        if not page.has_more:
            return [date.fromisoformat(m) for m in sorted(months)]
        cursor = page.cursor


def ensure_state_table(engine: Engine) -> None:
    """`kpi_estado`, made by the first refresh in a transaction of its own (derived state, outside the migrations
    like the KPI tables). Refreshes run in parallel steps: one that loses the race to create it finds it made."""
    try:
        with engine.begin() as conn:
            KPI_ESTADO.create(conn, checkfirst=True)
    except DBAPIError:
        with engine.connect() as conn:
            if not inspect(conn).has_table(KPI_ESTADO.name):
                raise


def plan(conn: Connection, instance: dg.DagsterInstance, table: Table, versao: str) -> Plan:
    """The months `table` must take in again (see the module's docstring for when it is every month)."""
    latest = latest_load(instance)
    if not inspect(conn).has_table(table.name):
        return Plan(None, latest, "first build")
    row = conn.execute(select(KPI_ESTADO).where(KPI_ESTADO.c.tabela == table.name)).first()
    if row is None:
        return Plan(None, latest, "no watermark")
    if row.versao != versao:
        return Plan(None, latest, "its query, declaration or product groups changed")
    if row.storage_id is None:
        return Plan(None, latest, "its rows came from lines no load recorded")
    stored = Mark(row.storage_id, row.run_id, row.registrado_em)
    if latest is None or not _holds(instance, stored):
        return Plan(None, latest, "this Dagster instance does not hold the load its rows came from")
    months = months_loaded(instance, stored, latest) if latest.storage_id > stored.storage_id else []
    return Plan(months, latest, f"{len(months)} month(s) loaded since")


def save_mark(conn: Connection, table: Table, mark: Mark | None, versao: str) -> None:
    """Record how far `table`'s rows go, in the caller's transaction (the one that wrote them)."""
    conn.execute(delete(KPI_ESTADO).where(KPI_ESTADO.c.tabela == table.name))
    conn.execute(
        insert(KPI_ESTADO).values(
            tabela=table.name,
            storage_id=mark.storage_id if mark else None,
            run_id=mark.run_id if mark else None,
            registrado_em=mark.timestamp if mark else None,
            versao=versao,
        )
    )


def drop_tables(conn: Connection, tables: tuple[str, ...]) -> None:
    """Drop each of `tables` that exists."""
    for name in tables:
        conn.execute(DropTable(Table(name, MetaData()), if_exists=True))


def forget(conn: Connection, tables: tuple[str, ...]) -> None:
    """Drop `tables` and every watermark: the next refresh of each is a rebuild from scratch."""
    drop_tables(conn, (*tables, KPI_ESTADO.name))


def content_hash(conn: Connection, table: Table) -> str:
    """A hash of a small table's rows in key order (product groups: a new spelling can rename a group)."""
    rows = conn.execute(select(table).order_by(*table.columns)).all()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]
