"""KPI tables, rebuilt set-based in the warehouse from the loaded exports (see `synapse_pipeline.kpis`).

They are eager: once the daemon runs, a load of estoque or faturamento brings them up to date by itself.
"""

import hashlib

import dagster as dg
import pandas as pd
from sqlalchemy import Connection, select, text

from synapse_pipeline.kpis.automation import REBUILD_AUTOMATION
from synapse_pipeline.kpis.catalog import COLUMN_TYPES, KPIS, Kpi
from synapse_pipeline.kpis.groups import GRUPO_PRODUTO, group_names
from synapse_pipeline.lib import markdown
from synapse_pipeline.warehouse.dialect import Dialect
from synapse_pipeline.warehouse.models import Estoque, Faturamento
from synapse_pipeline.warehouse.resource import Warehouse


def _preview(conn: Connection, table: str) -> dg.MetadataValue:
    return markdown.preview(pd.read_sql_query(f"SELECT * FROM {table} LIMIT {markdown.PREVIEW_ROWS}", conn))


def _replace_table(conn: Connection, table: str, select_sql: str) -> int:
    """Rebuild `table` from `select_sql` inside the caller's transaction: readers see the old or the new table."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    conn.exec_driver_sql(f"CREATE TABLE {table} AS {select_sql}")
    return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


@dg.asset(
    deps=["estoque", "faturamento"],
    kinds={"sql"},
    metadata={"dagster/table_name": GRUPO_PRODUTO},
    automation_condition=REBUILD_AUTOMATION,
)
def grupo_produto(warehouse: Warehouse) -> dg.MaterializeResult:
    """One name per product group across both exports, compared case- and accent-insensitively."""
    with warehouse.engine.begin() as conn:
        spellings = {
            *conn.execute(select(Estoque.grupo_mercadoria).distinct()).scalars(),
            *conn.execute(select(Faturamento.zs_gr_mercad).distinct()).scalars(),
        }
        names = group_names(spellings)
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {GRUPO_PRODUTO}")
        conn.exec_driver_sql(
            f"CREATE TABLE {GRUPO_PRODUTO} (grupo_original VARCHAR(100) PRIMARY KEY, grupo VARCHAR(100))"
        )
        if names:
            conn.execute(
                text(f"INSERT INTO {GRUPO_PRODUTO} (grupo_original, grupo) VALUES (:o, :g)"),
                [{"o": o, "g": g} for o, g in sorted(names.items())],
            )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(names),
            "groups": markdown.table(dict(sorted(names.items())), "grupo_original", "grupo"),
        }
    )


def sql_version(kpi: Kpi) -> str:
    """A hash of the table's SQL on both databases: a changed query marks the table stale in the UI."""
    sql = "\n".join(kpi.select(Dialect(name)) for name in ("postgresql", "sqlite"))
    return hashlib.sha256(sql.encode()).hexdigest()[:16]


def kpi_asset(kpi: Kpi) -> dg.AssetsDefinition:
    """A Dagster asset that rebuilds one KPI table."""
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, COLUMN_TYPES[name], description=text) for name, text in kpi.columns.items()]
    )

    @dg.asset(
        name=kpi.name,
        deps=list(kpi.deps),
        description=kpi.description,
        metadata={"dagster/column_schema": schema, "dagster/table_name": kpi.name},
        kinds={"sql"},
        code_version=sql_version(kpi),
        automation_condition=REBUILD_AUTOMATION,
    )
    def _kpi(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.engine.begin() as conn:
            rows = _replace_table(conn, kpi.name, kpi.select(Dialect(conn.dialect.name)))
            preview = _preview(conn, kpi.name)
        return dg.MaterializeResult(metadata={"dagster/row_count": rows, "preview": preview})

    return _kpi


kpi_assets = [kpi_asset(kpi) for kpi in KPIS]
