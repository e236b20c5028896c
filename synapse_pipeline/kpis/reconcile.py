"""Each KPI table's totals against the loaded facts it was computed from: the figures people read must add up.

A reconciliation compares one total per key (month or snapshot) on both sides; any difference beyond rounding is a
disagreement. The KPI checks run them after every rebuild, and the report refuses to render while any fails.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, inspect

from synapse_pipeline.lib.dates import as_date
from synapse_pipeline.warehouse.dialect import Dialect

TOLERANCE = 1e-6  # tonnes: sums of the same decimals in another order


@dataclass(frozen=True)
class Reconciliation:
    """What must hold for `table`, and the two queries of (key, total) whose results must be equal."""

    table: str
    rule: str
    kpi: Callable[[Dialect], str]
    source: Callable[[Dialect], str]


def _net_by_month(table: str) -> Callable[[Dialect], str]:
    return lambda d: f"SELECT mes, SUM(toneladas_liquidas) FROM {table} GROUP BY mes"


def _faturamento_by_month(d: Dialect) -> str:
    return f"SELECT {d.month('data')}, SUM(zs_peso_liquido) FROM faturamento GROUP BY {d.month('data')}"


def _estoque_by_snapshot(d: Dialect) -> str:
    return f"SELECT {d.day('data')}, SUM(es_totalestoque) FROM estoque GROUP BY {d.day('data')}"


def _by_snapshot(table: str, column: str) -> Callable[[Dialect], str]:
    return lambda d: f"SELECT data_estoque, SUM({column}) FROM {table} GROUP BY data_estoque"


RECONCILIATIONS: tuple[Reconciliation, ...] = (
    *(
        Reconciliation(table, "net tonnes per month = faturamento's", _net_by_month(table), _faturamento_by_month)
        for table in ("giro_sku", "vendas_regiao", "mix_produto")
    ),
    Reconciliation(
        "estoque_aging",
        "tonnes per snapshot = estoque's",
        _by_snapshot("estoque_aging", "toneladas"),
        _estoque_by_snapshot,
    ),
    Reconciliation(
        "obsolescencia",
        "tonnes per snapshot = estoque's",
        _by_snapshot("obsolescencia", "toneladas_total"),
        _estoque_by_snapshot,
    ),
    Reconciliation(
        "cobertura_cliente",
        "stock tonnes per snapshot = estoque's",
        _by_snapshot("cobertura_cliente", "estoque_toneladas"),
        _estoque_by_snapshot,
    ),
    Reconciliation(
        "concentracao_clientes",
        "client shares sum to 1",
        lambda d: "SELECT 'total', SUM(participacao) FROM concentracao_clientes HAVING COUNT(*) > 0",
        lambda d: "SELECT 'total', MAX(1.0) FROM concentracao_clientes HAVING COUNT(*) > 0",
    ),
)


def _totals(conn: Connection, sql: str) -> dict[str, float]:
    return {str(as_date(key)) if key != "total" else key: float(value or 0) for key, value in conn.exec_driver_sql(sql)}


def disagreements(conn: Connection, reconciliation: Reconciliation) -> list[str]:
    """Each key whose totals differ, in words; empty when the table agrees with its source."""
    dialect = Dialect(conn.dialect.name)
    kpi = _totals(conn, reconciliation.kpi(dialect))
    source = _totals(conn, reconciliation.source(dialect))
    return [
        f"{reconciliation.table} {key}: {kpi.get(key, 0.0):.6f} vs {source.get(key, 0.0):.6f}"
        for key in sorted(kpi.keys() | source.keys())
        if abs(kpi.get(key, 0.0) - source.get(key, 0.0)) > TOLERANCE
    ]


def all_disagreements(conn: Connection) -> list[str]:
    """Every disagreement of every KPI table that exists (one not built yet has nothing to disagree with)."""
    tables = set(inspect(conn).get_table_names())
    return [
        line
        for reconciliation in RECONCILIATIONS
        if reconciliation.table in tables
        for line in disagreements(conn, reconciliation)
    ]
