"""The report's "Previsão e reposição" figures, from the forecast tables: only what was knowable by the month's end.

The forecast is shown from its base month on (it saw the months up to mes_base); the purchases only in the latest
billed month's report, with the stock advice they come from (`stock_advice`). Earlier reports have no section.
"""

from datetime import date

from sqlalchemy import Connection, inspect, text

from synapse_pipeline.forecast.classes import INTERMITENTE, IRREGULAR
from synapse_pipeline.forecast.tables import AVALIACAO_PREVISAO, PREVISAO_DEMANDA, RECOMENDACAO_ESTOQUE
from synapse_pipeline.lib.dates import as_date
from synapse_pipeline.lib.numbers import real
from synapse_pipeline.reports.model import ForecastLine, ForecastSection, ReorderLine

TOP_FORECAST = 10
REORDER_LINES = 15
TO_BUY = ("ruptura", "repor")
SPORADIC = (INTERMITENTE, IRREGULAR)  # sold in few months: their safety stock dwarfs their expected demand


def _reorder(conn: Connection, snapshot: date | None) -> tuple[date | None, list[ReorderLine], tuple[float, ...]]:
    """The advice's snapshot and largest purchases (none: not this month's, see `advice_snapshot`); and of every
    SKU to buy: how many, the purchase, the demand it covers, the safety stock and the stock, in tonnes."""
    if snapshot is None:
        return None, [], (0, 0.0, 0.0, 0.0, 0.0, 0, 0.0, 0.0)
    to_buy = {"a": TO_BUY[0], "b": TO_BUY[1]}
    lines = [
        ReorderLine(sku, action, real(stock), real(weekly), real(reorder), real(purchase))
        for sku, action, stock, weekly, reorder, purchase in conn.execute(
            text(
                'SELECT "SKU", acao, estoque_t, demanda_semanal_t, ponto_pedido_t, compra_sugerida_t '
                f"FROM {RECOMENDACAO_ESTOQUE.name} WHERE acao IN (:a, :b) "
                f'ORDER BY compra_sugerida_t DESC, "SKU" LIMIT {REORDER_LINES}'
            ),
            to_buy,
        )
    ]
    sporadic = "CASE WHEN s.sku IS NULL THEN 0 ELSE {} END"
    count, *tonnes, sporadic_count, sporadic_tonnes, sporadic_cover = conn.execute(
        text(
            "SELECT COUNT(*), SUM(compra_sugerida_t), SUM(demanda_protecao_t), SUM(estoque_seguranca_t), "
            f"SUM(estoque_t), SUM({sporadic.format(1)}), SUM({sporadic.format('compra_sugerida_t')}), "
            f"SUM({sporadic.format('demanda_protecao_t')}) FROM {RECOMENDACAO_ESTOQUE.name} r "
            f'LEFT JOIN (SELECT DISTINCT "SKU" AS sku FROM {PREVISAO_DEMANDA.name} '
            'WHERE classe_demanda IN (:c, :d)) s ON s.sku = r."SKU" WHERE acao IN (:a, :b)'
        ),
        {**to_buy, "c": SPORADIC[0], "d": SPORADIC[1]},
    ).one()
    return (
        snapshot,
        lines,
        (int(count), *(real(t or 0) for t in tonnes), int(sporadic_count or 0), real(sporadic_tonnes or 0),
         real(sporadic_cover or 0)),
    )  # fmt: skip


def forecast_section(conn: Connection, month: date, advice_at: date | None) -> ForecastSection | None:
    """The section of `month`'s report, or None when no forecast was made by the month's end; its purchases are
    those of the stock advice made on `advice_at` (`stock_advice.advice_snapshot`), none when None."""
    tables = inspect(conn)
    if not all(tables.has_table(t.name) for t in (PREVISAO_DEMANDA, AVALIACAO_PREVISAO, RECOMENDACAO_ESTOQUE)):
        return None
    base, model = conn.execute(text(f"SELECT MIN(mes_base), MIN(modelo) FROM {PREVISAO_DEMANDA.name}")).one()
    if base is None or as_date(base) > month:
        return None
    totals = conn.execute(
        text(
            "SELECT mes_previsto, SUM(toneladas_previstas), MIN(total_limite_inferior), MIN(total_limite_superior) "
            f"FROM {PREVISAO_DEMANDA.name} GROUP BY mes_previsto ORDER BY mes_previsto"
        )
    ).all()
    by_sku: dict[str, tuple[str, list[float]]] = {}
    for sku, demand_class, tonnes in conn.execute(
        text(
            f'SELECT p."SKU", p.classe_demanda, p.toneladas_previstas FROM {PREVISAO_DEMANDA.name} p JOIN '
            f'(SELECT "SKU", toneladas_previstas AS first FROM {PREVISAO_DEMANDA.name} WHERE horizonte = 1 '
            f'ORDER BY toneladas_previstas DESC, "SKU" LIMIT {TOP_FORECAST}) top ON top."SKU" = p."SKU" '
            'ORDER BY top.first DESC, p."SKU", p.horizonte'
        )
    ):
        by_sku.setdefault(sku, (demand_class, []))[1].append(real(tonnes))
    scores = {
        name: (wape, bias, coverage)
        for name, wape, bias, coverage in conn.execute(
            text(
                f"SELECT modelo, wape, vies, cobertura_80 FROM {AVALIACAO_PREVISAO.name} "
                "WHERE horizonte = 1 AND modelo IN (:m, 'naive')"
            ),
            {"m": model},
        )
    }
    wape, bias, coverage = (None if value is None else real(value) for value in scores.get(model, (None,) * 3))
    naive = scores.get("naive", (None,))[0]
    snapshot, reorder, (count, tonnes, cover, safety, stock, *sporadic) = _reorder(conn, advice_at)
    return ForecastSection(
        base=as_date(base),
        model=str(model),
        months=tuple(as_date(m) for m, *_ in totals),
        totals=tuple(real(t) for _, t, *_ in totals),
        ranges=tuple(None if low is None or high is None else (real(low), real(high)) for *_, low, high in totals),
        top=[ForecastLine(sku, demand_class, tuple(values)) for sku, (demand_class, values) in by_sku.items()],
        wape=wape,
        naive_wape=None if naive is None else real(naive),
        bias=bias,
        coverage=coverage,
        reorder_snapshot=snapshot,
        reorder=reorder,
        reorder_count=count,
        reorder_tonnes=tonnes,
        reorder_cover=cover,
        reorder_safety=safety,
        reorder_stock=stock,
        sporadic_count=int(sporadic[0]),
        sporadic_tonnes=sporadic[1],
        sporadic_cover=sporadic[2],
    )
