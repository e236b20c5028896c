"""Stock recommendations per SKU: safety stock, reorder point, order-up-to level and what to do, from the latest
snapshot, the forecast with its interval and the weekly demand of the 52 weeks up to the latest billing date.

With L the lead time, R the review period (weeks), sd_L the lead time's deviation and z the service level's:
demand over L and over L + R, and the variance of its error over L + R, come from the forecast and its interval
(`protection`), or from the 52 weeks' history for a SKU with no forecast interval; d_P = demand over L + R / (L + R)
  safety stock  = z * sqrt(variance over L + R + (d_P * sd_L)^2)
  reorder point = demand over L + safety stock          (at or below it: repor)
  order up to   = demand over L + R + safety stock      (the purchase: order up to minus stock)
so a purchase exceeds a month's forecast when L + R spans more than a month, or by the safety stock.
"""

from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

import numpy as np
from sqlalchemy import Connection

from synapse_pipeline.forecast.protection import SkuForecast, Span, from_history
from synapse_pipeline.lib.dates import as_date
from synapse_pipeline.warehouse.dialect import Dialect

WEEKS = 52
MATERIA_PRIMA = "Materia Prima"
ABC_LIMITS = (0.80, 0.95)  # cumulative share of the 52 weeks' tonnes up to which a SKU is A, then B
XYZ_LIMITS = (0.5, 1.0)  # coefficient of variation of the weekly demand up to which a SKU is X, then Y
EPSILON = 1e-9  # cumulative shares are float sums: 0.95 may come out as 0.9500000000000001
# Every `acao` a SKU can get, in the order a manager acts on them: the report and the UI list them so, zeros too.
ACTION_ORDER = ("ruptura", "repor", "excesso", "sem_demanda", "materia_prima", "ok")


@dataclass(frozen=True)
class StockPolicy:
    """Replenishment parameters, in weeks, and the service level of the safety stock."""

    lead_time: float
    lead_time_deviation: float
    review: float
    service_level: float
    excess_weeks: float


@dataclass(frozen=True)
class Snapshot:
    """The latest snapshot's tonnes and material type per SKU, and each SKU's weekly demand (SKUs x WEEKS)."""

    date: date | None
    stock: dict[str, tuple[str, float]]
    weekly: dict[str, np.ndarray]


def read_snapshot(conn: Connection) -> Snapshot:
    """The latest stock snapshot and the weekly net tonnes (clipped at 0) up to the latest billing date."""
    dialect = Dialect(conn.dialect.name)
    snapshot = conn.exec_driver_sql("SELECT MAX(data) FROM estoque").scalar()
    stock: dict[str, tuple[str, float]] = {}
    if snapshot is not None:
        by_type: dict[str, dict[str, float]] = {}
        for sku, tipo, tonnes in conn.exec_driver_sql(
            'SELECT "SKU", tipo_material, SUM(es_totalestoque) FROM estoque '
            'WHERE data = (SELECT MAX(data) FROM estoque) GROUP BY "SKU", tipo_material'
        ):
            by_type.setdefault(sku, {})[tipo] = float(tonnes)
        for sku, types in by_type.items():
            stock[sku] = (max(types, key=types.__getitem__), sum(types.values()))
    latest = "(SELECT MAX(data) FROM faturamento)"
    weekly: dict[str, np.ndarray] = {}
    age = dialect.days_between(dialect.day("data"), latest)
    for sku, days_before, tonnes in conn.exec_driver_sql(
        f'SELECT "SKU", {age}, SUM(zs_peso_liquido) FROM faturamento '
        f'WHERE {dialect.day("data")} > {dialect.days_before(latest, 7 * WEEKS)} GROUP BY "SKU", {age}'
    ):
        weekly.setdefault(sku, np.zeros(WEEKS))[int(days_before) // 7] += float(tonnes)
    return Snapshot(
        as_date(snapshot) if snapshot is not None else None,
        stock,
        {sku: np.clip(weeks, 0.0, None) for sku, weeks in weekly.items()},
    )


def abc_classes(tonnes: dict[str, float]) -> dict[str, str]:
    """A, B or C by the cumulative share of tonnes, the largest SKU first (ties by name)."""
    total, cumulative, classes = sum(tonnes.values()), 0.0, {}
    for sku in sorted(tonnes, key=lambda s: (-tonnes[s], s)):
        cumulative += tonnes[sku]
        share = cumulative / total - EPSILON if total > 0 else 1.0
        classes[sku] = "A" if share <= ABC_LIMITS[0] else "B" if share <= ABC_LIMITS[1] else "C"
    return classes


def xyz_class(mean: float, deviation: float) -> str:
    """X, Y or Z by the coefficient of variation of the weekly demand; Z without demand."""
    cv = deviation / mean if mean > 0 else float("inf")
    return "X" if cv <= XYZ_LIMITS[0] else "Y" if cv <= XYZ_LIMITS[1] else "Z"


def _spans(weekly: np.ndarray, forecast: SkuForecast | None, policy: StockPolicy) -> tuple[Span, Span]:
    """Demand over the lead time, and over the lead time plus the review period, from the forecast if it has one."""
    weeks = (policy.lead_time, policy.lead_time + policy.review)
    if forecast is not None:
        return forecast.over(weeks[0]), forecast.over(weeks[1])
    return from_history(weekly, weeks[0]), from_history(weekly, weeks[1])


def recommend(
    snapshot: Snapshot, policy: StockPolicy, forecasts: dict[str, SkuForecast] | None = None
) -> list[dict[str, object]]:
    """One row per SKU of the snapshot and per SKU with demand but no stock, with its action (see `acao`)."""
    forecasts = forecasts or {}
    if snapshot.date is None:
        return []
    z = NormalDist().inv_cdf(policy.service_level)
    demanded = {sku for sku, weeks in snapshot.weekly.items() if weeks.sum() > 0}
    skus = sorted(set(snapshot.stock) | demanded)
    zeros = np.zeros(WEEKS)
    mean = {sku: float(snapshot.weekly.get(sku, zeros).mean()) for sku in skus}
    deviation = {sku: float(snapshot.weekly.get(sku, zeros).std(ddof=1)) for sku in skus}
    abc = abc_classes({sku: mean[sku] for sku in skus if mean[sku] > 0})
    rows = []
    for sku in skus:
        tipo, tonnes = snapshot.stock.get(sku, (None, 0.0))
        d, sd = mean[sku], deviation[sku]
        lead, protection = _spans(snapshot.weekly.get(sku, zeros), forecasts.get(sku), policy)
        rate = protection.demand / (policy.lead_time + policy.review) if policy.lead_time + policy.review > 0 else d
        safety = z * float(np.sqrt(protection.variance + rate**2 * policy.lead_time_deviation**2))
        reorder = lead.demand + safety
        maximum = protection.demand + safety
        cover = tonnes / d if d > 0 else None
        if tipo == MATERIA_PRIMA:
            action = "materia_prima"
        elif d > 0 and tonnes <= 0:
            action = "ruptura"
        elif d > 0 and tonnes <= reorder:
            action = "repor"
        elif cover is not None and cover > policy.excess_weeks:
            action = "excesso"
        elif d == 0:
            action = "sem_demanda"
        else:
            action = "ok"
        rows.append(
            {
                "data_estoque": snapshot.date,
                "SKU": sku,
                "tipo_material": tipo,
                "estoque_t": tonnes,
                "demanda_semanal_t": d,
                "desvio_semanal_t": sd,
                "estoque_seguranca_t": safety,
                "ponto_pedido_t": reorder,
                "estoque_maximo_t": maximum,
                "cobertura_semanas": cover,
                "limite_excesso_semanas": policy.excess_weeks,
                "classe_abc": abc.get(sku, "C"),
                "classe_xyz": xyz_class(d, sd),
                "acao": action,
                "compra_sugerida_t": max(0.0, maximum - tonnes) if action in ("ruptura", "repor") else 0.0,
                "demanda_lead_time_t": lead.demand,
                "demanda_protecao_t": protection.demand,
                "fonte_demanda": protection.source,
            }
        )
    return rows
