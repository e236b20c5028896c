"""The report's one stock story: `recomendacao_estoque`, one verdict per SKU, counted in the stock section and listed
as purchases in the forecast's. Only the latest billed month's report shows it: it saw the billing up to the
latest line and the latest snapshot, so an earlier month's report would show what was not known by its end.
"""

from datetime import date

from sqlalchemy import Connection, inspect, text

from synapse_pipeline.forecast.stock import ACTION_ORDER
from synapse_pipeline.forecast.tables import DEMANDA_MENSAL, RECOMENDACAO_ESTOQUE
from synapse_pipeline.lib.dates import as_date
from synapse_pipeline.lib.numbers import real
from synapse_pipeline.reports.model import SkuSituation, StockAdvice


def latest_billed_month(conn: Connection) -> date | None:
    """The month of the latest billing line, as the KPI tables hold it; the advice's own is `demanda_mensal`'s, the
    billing it was made from (`advice_snapshot`)."""
    latest = conn.execute(text("SELECT MAX(mes) FROM giro_sku")).scalar()
    return None if latest is None else as_date(latest)


def advice_snapshot(conn: Connection, month: date) -> date | None:
    """The snapshot of the stock advice when `month` is the latest billed month; None for any other month, or
    before the advice's first build by this version (its table then lacks a column)."""
    tables = inspect(conn)
    if not all(tables.has_table(t.name) for t in (RECOMENDACAO_ESTOQUE, DEMANDA_MENSAL)):
        return None
    stored = {column["name"] for column in tables.get_columns(RECOMENDACAO_ESTOQUE.name)}
    latest = conn.execute(text(f"SELECT MAX(mes) FROM {DEMANDA_MENSAL.name}")).scalar()  # the billing it saw
    if set(RECOMENDACAO_ESTOQUE.columns.keys()) - stored or latest is None or as_date(latest) != month:
        return None
    snapshot = conn.execute(text(f"SELECT MAX(data_estoque) FROM {RECOMENDACAO_ESTOQUE.name}")).scalar()
    return None if snapshot is None else as_date(snapshot)


def stock_advice(conn: Connection, snapshot: date | None) -> StockAdvice | None:
    """Each action's SKUs and stock, of the advice made on `snapshot` (`advice_snapshot`: None for a report that
    does not show it)."""
    if snapshot is None:
        return None
    counted = {
        action: (int(skus), real(tonnes or 0))
        for action, skus, tonnes in conn.execute(
            text(f"SELECT acao, COUNT(*), SUM(estoque_t) FROM {RECOMENDACAO_ESTOQUE.name} GROUP BY acao")
        )
    }
    unknown = set(counted) - set(ACTION_ORDER)
    if unknown:
        raise KeyError(f"recomendacao_estoque holds actions the report does not know: {sorted(unknown)}")
    excess_weeks = conn.execute(text(f"SELECT MIN(limite_excesso_semanas) FROM {RECOMENDACAO_ESTOQUE.name}")).scalar()
    return StockAdvice(
        snapshot=snapshot,
        excess_weeks=float(excess_weeks),
        situations=[SkuSituation(action, *counted.get(action, (0, 0.0))) for action in ACTION_ORDER],
    )
