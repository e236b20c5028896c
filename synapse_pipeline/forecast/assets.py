"""The forecast stage's tables: monthly demand, the backtest of every forecaster, the forecast, the stock advice.

Eager like the KPI tables: once the daemon runs, a load brings them up to date by itself.
"""

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, select

from synapse_pipeline.forecast.backtest import HORIZONS, Score, score
from synapse_pipeline.forecast.classes import SEM_VENDA, demand_classes
from synapse_pipeline.forecast.demand import MonthlyDemand, monthly_demand
from synapse_pipeline.forecast.global_model import sku_scale
from synapse_pipeline.forecast.intervals import TOTAL, coverage, interval_errors, limits, quantiles
from synapse_pipeline.forecast.protection import FROM_FORECAST, read_forecasts
from synapse_pipeline.forecast.resources import ForecastSettings
from synapse_pipeline.forecast.selection import FORECASTERS, NAME, NESTED, choices, nested_choice
from synapse_pipeline.forecast.stock import ACTION_ORDER, read_snapshot, recommend
from synapse_pipeline.forecast.tables import (
    AVALIACAO_PREVISAO,
    DEMANDA_MENSAL,
    PREVISAO_DEMANDA,
    RECOMENDACAO_ESTOQUE,
    replace_rows,
)
from synapse_pipeline.kpis.automation import REBUILD_AUTOMATION
from synapse_pipeline.lib import markdown
from synapse_pipeline.lib.dates import add_months
from synapse_pipeline.warehouse.models import stored_type
from synapse_pipeline.warehouse.resource import Warehouse

RECENT_MONTHS = 12  # a SKU is forecast when it sold in the last 12 complete months
COVERAGE_KEY = "cobertura_intervalo_80"  # metadata: share of SKU actuals the 80% interval held, one month ahead
DECIMALS = 6  # a gram: the two warehouses' sums differ past it, and a boosted tree's split must not


def complete_history(demand: MonthlyDemand) -> np.ndarray:
    """The complete months' demand to the gram, so that SQLite and PostgreSQL give the models the same numbers."""
    return np.round(demand.complete(), DECIMALS)


def _schema(table: Table) -> dg.TableSchema:
    """The table's columns with their warehouse types and descriptions, for the UI."""
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, stored_type(c), description=c.comment) for c in table.columns]
    )


def forecast_version(sources: Path = Path(__file__).parent) -> str:
    """A hash of the code that computes the forecast tables (this stage's modules): a changed model, rule or
    policy marks all four stale in the UI, as a changed query does a KPI table."""
    digest = hashlib.sha256()
    for source in sorted(sources.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _table_metadata(table: Table) -> dict[str, object]:
    return {"dagster/table_name": table.name, "dagster/column_schema": _schema(table)}


def _result(conn: Connection, table: Table, rows: int, **extra: object) -> dg.MaterializeResult:
    preview = pd.read_sql_query(select(table).limit(markdown.PREVIEW_ROWS), conn)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, "preview": markdown.preview(preview), **extra}  # type: ignore[dict-item]
    )


def _forecast_asset(
    table: Table, deps: list[str], description: str
) -> Callable[[Callable[..., dg.MaterializeResult]], dg.AssetsDefinition]:
    """The asset decorator every forecast table shares: its name, kinds, table metadata and eager automation."""
    return dg.asset(
        name=table.name,
        deps=deps,
        description=description,
        kinds={"python", "sql"},
        metadata=_table_metadata(table),
        code_version=forecast_version(),
        automation_condition=REBUILD_AUTOMATION,
    )


@_forecast_asset(
    DEMANDA_MENSAL, ["faturamento_diario"], "Net tonnes per SKU and month (>= 0), every SKU from the first month."
)
def demanda_mensal(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.engine.begin() as conn:
        demand = monthly_demand(conn)
        complete = demand.complete_months
        rows = [
            {"SKU": sku, "mes": month, "toneladas": float(demand.tonnes[i, j]), "completo": j < complete}
            for i, sku in enumerate(demand.skus)
            for j, month in enumerate(demand.months)
        ]
        count = replace_rows(conn, DEMANDA_MENSAL, rows)
        return _result(
            conn,
            DEMANDA_MENSAL,
            count,
            skus=len(demand.skus),
            meses_completos=complete,
            mes_base=str(demand.mes_base) if demand.mes_base else "none (no complete month)",
            ultima_data_faturamento=str(demand.latest) if demand.skus else "none",
        )


def backtest_table(scores: list[Score]) -> dg.MetadataValue:
    """The backtest as a markdown table, WAPE also as a ratio to naive's at the same horizon."""
    naive = {s.horizonte: s.wape for s in scores if s.modelo == "naive"}
    frame = pd.DataFrame(
        {
            "modelo": s.modelo,
            "h": s.horizonte,
            "origens": s.origens,
            "WAPE": round(s.wape, 3),
            "vs naive": round(s.wape / naive[s.horizonte], 3) if naive.get(s.horizonte) else None,
            "MASE": round(s.mase, 3),
            "viés": f"{s.vies:+.1%}",
        }
        for s in sorted(scores, key=lambda s: (s.horizonte, s.wape))
    )
    return dg.MetadataValue.md(frame.to_markdown(index=False))


@_forecast_asset(
    AVALIACAO_PREVISAO,
    ["demanda_mensal"],
    "Rolling-origin backtest: each forecaster's WAPE, MASE and bias at 1 to 3 months, on months it did not see.",
)
def avaliacao_previsao(warehouse: Warehouse, forecast_settings: ForecastSettings) -> dg.MaterializeResult:
    configured = forecast_settings.forecaster_name()
    with warehouse.engine.begin() as conn:
        demand = monthly_demand(conn)
        history = complete_history(demand)
        names = [name for name in FORECASTERS if name != configured] + [configured]
        scores = [s for name in names for s in score(name, history, FORECASTERS[name])] if len(history) else []
        figures: dict[str, object] = {"modelo_configurado": configured}
        if len(history):
            errors = interval_errors(history, FORECASTERS[configured])
            held = {h: coverage(errors.at_horizon(h)).skus for h in range(1, HORIZONS + 1)}
            scores = [replace(s, cobertura_80=held[s.horizonte]) if s.modelo == configured else s for s in scores]
            overall = coverage(errors)
            figures[COVERAGE_KEY] = round(held[1], 4)
            figures[f"{COVERAGE_KEY}_todos_horizontes"] = round(overall.skus, 4)
            figures[f"{COVERAGE_KEY}_total"] = round(overall.total, 4)
            figures["cobertura_pares_julgados"] = overall.sku_pairs
        count = replace_rows(conn, AVALIACAO_PREVISAO, [vars(s) for s in scores])
        first = {s.modelo: s for s in scores if s.horizonte == 1}
        figures["backtest"] = backtest_table(scores)
        if configured in first and "naive" in first:
            figures["wape_h1"] = round(first[configured].wape, 4)
            figures["wape_h1_naive"] = round(first["naive"].wape, 4)
            figures["wape_h1_vs_naive"] = round(first[configured].wape / first["naive"].wape, 4)
            figures["vies_h1"] = round(first[configured].vies, 4)
        return _result(conn, AVALIACAO_PREVISAO, count, **figures)


def forecast_rows(demand: MonthlyDemand, model: str) -> list[dict[str, object]]:
    """Three months ahead of mes_base for every SKU with a sale in the RECENT_MONTHS complete months up to it."""
    base = demand.mes_base
    if base is None:
        return []
    history = complete_history(demand)
    recent = (history[:, -RECENT_MONTHS:].sum(axis=1) > 0) & (demand_classes(history) != SEM_VENDA)
    forecast = FORECASTERS[model](history, HORIZONS)
    classes, scale = demand_classes(history), sku_scale(history)
    learned = quantiles(interval_errors(history, FORECASTERS[model]))
    rows = []
    for h in range(1, HORIZONS + 1):
        total = float(forecast[recent, h - 1].sum())
        total_low, total_high = _interval(np.array([total]), np.array([total]), learned.get((TOTAL, h)))
        for i in np.flatnonzero(recent).tolist():
            low, high = _interval(forecast[i : i + 1, h - 1], scale[i : i + 1], learned.get((classes[i], h)))
            rows.append(
                {
                    "SKU": demand.skus[i],
                    "mes_base": base,
                    "mes_previsto": add_months(base, h),
                    "horizonte": h,
                    "modelo": model,
                    "toneladas_previstas": float(forecast[i, h - 1]),
                    "classe_demanda": classes[i],
                    "limite_inferior": low,
                    "limite_superior": high,
                    "total_previsto": total,
                    "total_limite_inferior": total_low,
                    "total_limite_superior": total_high,
                }
            )
    return sorted(rows, key=lambda row: (str(row["SKU"]), int(row["horizonte"])))  # type: ignore[call-overload]


def _interval(
    forecast: np.ndarray, scale: np.ndarray, bounds: tuple[float, float] | None
) -> tuple[float | None, float | None]:
    """One forecast's 80% interval; none when the backtest had too few errors to learn it."""
    if bounds is None:
        return None, None
    low, high = limits(forecast, scale, bounds)
    return float(low[0]), float(high[0])


def _monthly_totals(rows: list[dict[str, object]]) -> dict[str, float]:
    """The forecast's tonnes per month forecast, over every SKU: what the report's totals show."""
    totals: dict[str, float] = {}
    for row in rows:
        key = str(row["mes_previsto"])[:7]
        totals[key] = totals.get(key, 0.0) + float(row["toneladas_previstas"])  # type: ignore[arg-type]
    return {month: round(tonnes, 1) for month, tonnes in sorted(totals.items())}


@_forecast_asset(
    PREVISAO_DEMANDA,
    ["demanda_mensal", "avaliacao_previsao"],
    "Forecast tonnes per SKU for the three months after the last complete month, by the configured forecaster.",
)
def previsao_demanda(warehouse: Warehouse, forecast_settings: ForecastSettings) -> dg.MaterializeResult:
    model = forecast_settings.forecaster_name()
    with warehouse.engine.begin() as conn:
        demand = monthly_demand(conn)
        rows = forecast_rows(demand, model)
        count = replace_rows(conn, PREVISAO_DEMANDA, rows)
        figures: dict[str, object] = {
            "modelo": model,
            "mes_base": str(demand.mes_base) if demand.mes_base else "none (no complete month)",
            "skus": count // HORIZONS,
            "toneladas_previstas_por_mes": markdown.table(_monthly_totals(rows), "mês", "t previstas"),
        }
        if model == NAME and demand.mes_base is not None:
            figures["escolha_por_classe"] = markdown.table(
                choices(complete_history(demand)), "classe", "modelo escolhido"
            )
        if model == NESTED and demand.mes_base is not None:
            figures["modelo_escolhido"] = nested_choice(complete_history(demand))
        figures["intervalo_80_total"] = markdown.table(_total_intervals(rows), "mês", "t previstas (80%)")
        covered = conn.execute(
            select(AVALIACAO_PREVISAO.c.horizonte, AVALIACAO_PREVISAO.c.cobertura_80).where(
                AVALIACAO_PREVISAO.c.modelo == model
            )
        ).all()
        at_one = [value for horizon, value in covered if horizon == 1 and value is not None]
        if at_one:
            figures[COVERAGE_KEY] = round(float(at_one[0]), 4)
        return _result(conn, PREVISAO_DEMANDA, count, **figures)


def _total_intervals(rows: list[dict[str, object]]) -> dict[str, str]:
    """Each forecast month's total and its 80% interval, as the report would say it."""
    shown = {}
    for row in rows:
        low, high = row["total_limite_inferior"], row["total_limite_superior"]
        words = f"{row['total_previsto']:.1f}"
        if low is not None and high is not None:
            words += f" ({low:.1f} a {high:.1f})"
        shown[str(row["mes_previsto"])[:7]] = words
    return dict(sorted(shown.items()))


@_forecast_asset(
    RECOMENDACAO_ESTOQUE,
    ["estoque", "faturamento", "previsao_demanda"],
    "Per SKU of the latest snapshot, and SKUs with demand but no stock: safety stock, reorder point, what to do; "
    "demand and its error over lead time + review from the forecast and its interval where it has one.",
)
def recomendacao_estoque(warehouse: Warehouse, forecast_settings: ForecastSettings) -> dg.MaterializeResult:
    policy = forecast_settings.policy()
    with warehouse.engine.begin() as conn:
        rows = recommend(read_snapshot(conn), policy, read_forecasts(conn))
        count = replace_rows(conn, RECOMENDACAO_ESTOQUE, rows)
        actions = dict.fromkeys(ACTION_ORDER, 0)
        for row in rows:
            actions[str(row["acao"])] += 1
        purchase = sum(float(row["compra_sugerida_t"]) for row in rows)  # type: ignore[arg-type]
        return _result(
            conn,
            RECOMENDACAO_ESTOQUE,
            count,
            acoes=markdown.table(actions, "acao", "SKUs"),
            compra_sugerida_total_t=round(purchase, 2),
            skus_pela_previsao=sum(row["fonte_demanda"] == FROM_FORECAST for row in rows),
            politica=markdown.table(vars(policy), "parâmetro", "valor"),
        )
