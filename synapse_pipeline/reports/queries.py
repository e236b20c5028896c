"""The figures of a monthly report, read from the KPI tables (never from the raw facts, never all rows)."""

from datetime import date, timedelta

from sqlalchemy import Connection, select, text

from synapse_pipeline.lib.dates import add_months, as_date
from synapse_pipeline.lib.numbers import real
from synapse_pipeline.reports.forecast_section import forecast_section
from synapse_pipeline.reports.model import (
    AgingBucket,
    ClientShare,
    Headline,
    MixLine,
    MonthlyReport,
    ObsolescenceLine,
    RegionSales,
    StockSection,
    report_month,
)
from synapse_pipeline.reports.stock_advice import advice_snapshot, latest_billed_month, stock_advice
from synapse_pipeline.warehouse.models import Report

TOP_CLIENTS = 10
TREND_MONTHS = 13


def _headlines(conn: Connection, first: date, last: date) -> dict[date, Headline]:
    rows = conn.execute(
        text(
            "SELECT mes, SUM(toneladas_liquidas), SUM(toneladas_expedidas), SUM(toneladas_devolvidas), "
            "SUM(linhas), COUNT(DISTINCT cod_cliente) FROM giro_sku "
            "WHERE mes >= :first AND mes <= :last GROUP BY mes ORDER BY mes"
        ),
        {"first": first.isoformat(), "last": last.isoformat()},
    )
    return {
        as_date(m): Headline(as_date(m), real(net), real(gross), real(returns), int(lines), int(clients))
        for m, net, gross, returns, lines, clients in rows
    }


def _stock(conn: Connection, month: date, advice_at: date | None) -> StockSection | None:
    month_end = add_months(month, 1) - timedelta(days=1)
    # The latest billed month's report takes the latest snapshot even when the export dates it after the month.
    until = "" if month == latest_billed_month(conn) else " WHERE data_estoque <= :end"
    snapshot = conn.execute(
        text(f"SELECT MAX(data_estoque) FROM estoque_aging{until}"), {"end": month_end.isoformat()}
    ).scalar()
    if snapshot is None:
        return None
    at = {"snapshot": as_date(snapshot).isoformat()}
    aging = [
        AgingBucket(bucket, real(tonnes), int(lots))
        for bucket, tonnes, lots in conn.execute(
            text(
                "SELECT faixa_dias, SUM(toneladas), SUM(lotes) FROM estoque_aging WHERE data_estoque = :snapshot "
                "GROUP BY faixa_dias, ordem_faixa ORDER BY ordem_faixa"
            ),
            at,
        )
    ]
    total, lots, weighted = conn.execute(
        text(
            "SELECT SUM(toneladas), SUM(lotes), SUM(toneladas * idade_media_semanas_ponderada) / SUM(toneladas) "
            "FROM estoque_aging WHERE data_estoque = :snapshot"
        ),
        at,
    ).one()
    advice = stock_advice(conn, advice_at)
    obsolescence = [
        ObsolescenceLine(centro, grupo, real(tonnes), real(share or 0))
        for centro, grupo, tonnes, share in conn.execute(
            text(
                "SELECT es_centro, grupo, toneladas_obsoletas, participacao FROM obsolescencia "
                "WHERE data_estoque = :snapshot ORDER BY toneladas_obsoletas DESC, es_centro, grupo"
            ),
            at,
        )
    ]
    return StockSection(
        snapshot=as_date(snapshot),
        total_tonnes=real(total),
        lots=int(lots),
        average_age_weeks=real(weighted or 0),
        aging=aging,
        advice=advice if advice is not None and advice.snapshot == as_date(snapshot) else None,
        obsolescence=obsolescence,
    )


def _partial_until(conn: Connection, month: date) -> date | None:
    """The latest billing day when it falls inside `month` before its last day: the month is not over yet."""
    latest = conn.execute(text("SELECT MAX(periodo_ate) FROM concentracao_clientes")).scalar()
    if latest is None:
        return None
    day = as_date(latest)
    return day if month <= day < add_months(month, 1) - timedelta(days=1) else None


def first_report_for_a_new_reader(conn: Connection) -> str | None:
    """The first report a user added now receives: the latest complete month's, so their first mail is never a
    month that has barely begun; the partial month after it, titled partial, follows. None: no report yet."""
    latest, *before = conn.execute(select(Report.name).order_by(Report.name.desc()).limit(2)).scalars().all() or [None]
    if latest is not None and before and _partial_until(conn, report_month(latest)) is not None:
        return before[0]
    return latest


def monthly_report(conn: Connection, month: date) -> MonthlyReport | None:
    """The report of `month` (its first day), or None when nothing was billed that month."""
    trend = _headlines(conn, add_months(month, 1 - TREND_MONTHS), month)
    current = trend.get(month)
    if current is None:
        return None
    year_before = _headlines(conn, add_months(month, -12), add_months(month, -12))
    params = {"month": month.isoformat()}
    advice_at = advice_snapshot(conn, month)  # the stock section counts the advice, the forecast lists its purchases
    clients = [
        ClientShare(nome, real(net), real(net) / current.net_tonnes if current.net_tonnes else 0.0)
        for nome, net in conn.execute(
            text(
                "SELECT c.nome, SUM(g.toneladas_liquidas) AS t FROM giro_sku g "
                "JOIN clientes c ON c.cod_cliente = g.cod_cliente WHERE g.mes = :month "
                f"GROUP BY c.nome ORDER BY t DESC, c.nome LIMIT {TOP_CLIENTS}"
            ),
            params,
        )
    ]
    regions = [
        RegionSales(uf, cidade, real(net), int(lines), int(clients_))
        for uf, cidade, net, lines, clients_ in conn.execute(
            text(
                "SELECT uf, cidade, toneladas_liquidas, linhas, clientes_ativos FROM vendas_regiao "
                "WHERE mes = :month ORDER BY toneladas_liquidas DESC, uf, cidade"
            ),
            params,
        )
    ]
    mix = [
        MixLine(grupo, produto, real(net), real(share or 0))
        for grupo, produto, net, share in conn.execute(
            text(
                "SELECT grupo, produto, SUM(toneladas_liquidas) AS t, SUM(participacao) FROM mix_produto "
                "WHERE mes = :month GROUP BY grupo, produto ORDER BY t DESC, grupo, produto"
            ),
            params,
        )
    ]
    return MonthlyReport(
        month=month,
        current=current,
        previous=trend.get(add_months(month, -1)),
        year_before=year_before.get(add_months(month, -12)),
        trend=list(trend.values()),
        top_clients=clients,
        regions=regions,
        mix=mix,
        stock=_stock(conn, month, advice_at),
        forecast=forecast_section(conn, month, advice_at),
        partial_until=_partial_until(conn, month),
    )
