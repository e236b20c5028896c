"""KPI tables, refreshed set-based in the warehouse from the loaded exports (see `synapse_pipeline.kpis`).

They are eager: once the daemon runs, a load of estoque or faturamento brings them up to date by itself. A table
with a month grain takes in again only the months loaded since its last refresh (`kpis.changes`); the others are
recomputed whole from the stock snapshots and `faturamento_diario`, small beside the billing lines.
"""

import time
from datetime import date

import dagster as dg
import pandas as pd
from sqlalchemy import Connection, Date, Table, bindparam, delete, func, insert, select, text

from synapse_pipeline.ingest.partitions import described
from synapse_pipeline.kpis.automation import REBUILD_AUTOMATION
from synapse_pipeline.kpis.catalog import FATURAMENTO_DIARIO, GRUPO_PRODUTO_MES, GRUPO_PRODUTO_TABLE, KPIS, Kpi
from synapse_pipeline.kpis.changes import content_hash, drop_tables, ensure_state_table, plan, save_mark
from synapse_pipeline.kpis.groups import group_names
from synapse_pipeline.kpis.queries import render, version
from synapse_pipeline.lib import markdown
from synapse_pipeline.lib.dates import add_months, as_date
from synapse_pipeline.warehouse.models import Estoque, Faturamento, stored_type
from synapse_pipeline.warehouse.resource import Warehouse


def _preview(conn: Connection, table: Table) -> dg.MetadataValue:
    return markdown.preview(pd.DataFrame(conn.execute(select(table).limit(markdown.PREVIEW_ROWS)).mappings().all()))


def _schema(table: Table) -> dg.TableSchema:
    """The table's declared columns with their warehouse types and descriptions, for the UI."""
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, stored_type(c), description=c.comment) for c in table.columns]
    )


def _rows(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


@dg.asset(
    deps=["estoque", GRUPO_PRODUTO_MES.name],
    kinds={"sql"},
    metadata={"dagster/table_name": GRUPO_PRODUTO_TABLE.name, "dagster/column_schema": _schema(GRUPO_PRODUTO_TABLE)},
    automation_condition=REBUILD_AUTOMATION,
)
def grupo_produto(warehouse: Warehouse) -> dg.MaterializeResult:
    """One name per product group across both exports, compared case- and accent-insensitively."""
    with warehouse.engine.begin() as conn:
        spellings = {
            *conn.execute(select(Estoque.grupo_mercadoria).distinct()).scalars(),
            *conn.execute(select(GRUPO_PRODUTO_MES.c.grupo_original).distinct()).scalars(),
        }
        names = group_names(spellings)
        GRUPO_PRODUTO_TABLE.drop(conn, checkfirst=True)
        GRUPO_PRODUTO_TABLE.create(conn)
        if names:
            conn.execute(
                insert(GRUPO_PRODUTO_TABLE), [{"grupo_original": o, "grupo": g} for o, g in sorted(names.items())]
            )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(names),
            "groups": markdown.table(dict(sorted(names.items())), "grupo_original", "grupo"),
        }
    )


def _every_month(conn: Connection) -> list[date]:
    """Each month from the first billing line's to the last's (an index lookup each way)."""
    first, last = conn.execute(select(func.min(Faturamento.data), func.max(Faturamento.data))).one()
    if first is None:
        return []
    months = [as_date(first).replace(day=1)]
    while months[-1] < as_date(last).replace(day=1):
        months.append(add_months(months[-1], 1))
    return months


def _versao(conn: Connection, kpi: Kpi) -> str:
    """What the watermark is valid for: the table's query and declaration, and the product groups it joins."""
    groups = content_hash(conn, GRUPO_PRODUTO_TABLE) if GRUPO_PRODUTO_TABLE.name in kpi.deps else ""
    return f"{version(kpi.table)}{groups}"


def _refresh_months(context: dg.AssetExecutionContext, conn: Connection, kpi: Kpi) -> dict[str, object]:
    """Delete and insert again the months loaded since the table's watermark (every month on a rebuild), then move
    the watermark, all in the caller's transaction."""
    versao = _versao(conn, kpi)
    todo = plan(conn, context.instance, kpi.table, versao)
    if todo.months is None:
        kpi.table.drop(conn, checkfirst=True)
        kpi.table.create(conn)
    months = _every_month(conn) if todo.months is None else todo.months
    fill = text(render(kpi.name, conn.dialect.name)).bindparams(
        bindparam("inicio", type_=Date), bindparam("fim", type_=Date)
    )
    column = kpi.table.c[kpi.month_column]  # type: ignore[index]
    if todo.months is None:  # one statement over every month: a scan of the table, not one index range a month
        windows = [(months[0], add_months(months[-1], 1))] if months else []
    else:
        windows = [(month, add_months(month, 1)) for month in months]
    for start, end in windows:
        if todo.months is not None:
            conn.execute(delete(kpi.table).where(column >= start, column < end))
        conn.execute(fill, {"inicio": start, "fim": end})
    save_mark(conn, kpi.table, todo.mark, versao)
    return {
        "refresh": "rebuild: " + todo.reason if todo.months is None else "by month: " + todo.reason,
        "months_refreshed": described([m.isoformat() for m in months]),
    }


def kpi_asset(kpi: Kpi) -> dg.AssetsDefinition:
    """A Dagster asset that keeps one KPI table current."""

    @dg.asset(
        name=kpi.name,
        deps=list(kpi.deps),
        description=kpi.description,
        metadata={"dagster/column_schema": _schema(kpi.table), "dagster/table_name": kpi.name},
        kinds={"sql"},
        code_version=version(kpi.table),
        automation_condition=REBUILD_AUTOMATION,
    )
    def _kpi(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        started = time.perf_counter()
        if kpi.month_column:
            ensure_state_table(warehouse.engine)
        with warehouse.engine.begin() as conn:
            drop_tables(conn, kpi.replaces)
            if kpi.month_column:
                refreshed = _refresh_months(context, conn, kpi)
            else:
                kpi.table.drop(conn, checkfirst=True)
                kpi.table.create(conn)
                conn.execute(text(render(kpi.name, conn.dialect.name)))
                refreshed = {"refresh": "recomputed whole"}
            rows = _rows(conn, kpi.table)
            preview = _preview(conn, kpi.table)
        seconds = time.perf_counter() - started
        return dg.MaterializeResult(
            metadata={"dagster/row_count": rows, **refreshed, "refresh_seconds": round(seconds, 3), "preview": preview}
        )

    return _kpi


kpi_assets = [kpi_asset(kpi) for kpi in KPIS]
# The daily aggregate, which the forecast's demand reads too.
(faturamento_diario,) = (asset for asset in kpi_assets if asset.key == dg.AssetKey(FATURAMENTO_DIARIO.name))
