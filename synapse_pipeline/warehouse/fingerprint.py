"""Row counts and content checksums of the warehouse tables, to prove that a reload changed nothing."""

import hashlib
from collections.abc import Iterable

from sqlalchemy import JSON, Connection, MetaData, Table, Text, cast, inspect, select

from synapse_pipeline.warehouse.models import Base

SURROGATE_KEY = "id"


def table_checksum(conn: Connection, table: Table) -> tuple[int, str]:
    """(rows, sha256) over every row without the surrogate `id`, in a stable order.

    Serial ids change when a load replaces rows, the content must not.
    """
    columns = [c for c in table.columns if c.name != SURROGATE_KEY]
    digest = hashlib.sha256()
    rows = 0
    # JSON has no ordering in PostgreSQL: such columns sort by their text.
    order = [cast(c, Text) if isinstance(c.type, JSON) else c for c in columns]
    result = conn.execution_options(yield_per=10_000).execute(select(*columns).order_by(*order))
    for row in result:
        digest.update(repr(tuple(row)).encode())
        rows += 1
    return rows, digest.hexdigest()


def warehouse_checksums(conn: Connection, extra_tables: Iterable[str] = ()) -> dict[str, tuple[int, str]]:
    """`table_checksum` of every table of the models, and of the `extra_tables` that exist (read off the database)."""
    tables = dict(Base.metadata.tables)
    existing = set(inspect(conn).get_table_names())
    reflected = MetaData()
    for name in extra_tables:
        if name in existing:
            tables[name] = Table(name, reflected, autoload_with=conn)
    return {name: table_checksum(conn, table) for name, table in sorted(tables.items())}
