"""The figures of one monthly report, as plain data: queried from the KPI tables, rendered by `render`."""

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date


@dataclass(frozen=True)
class Headline:
    """Billing totals of one month; returns are negative lines, net = gross shipments + returns."""

    month: date
    net_tonnes: float
    gross_tonnes: float
    returns_tonnes: float  # <= 0
    lines: int
    active_clients: int


@dataclass(frozen=True)
class ClientShare:
    nome: str
    net_tonnes: float
    share: float  # 0..1 of the month's net tonnes


@dataclass(frozen=True)
class RegionSales:
    uf: str
    cidade: str
    net_tonnes: float
    lines: int
    active_clients: int


@dataclass(frozen=True)
class MixLine:
    grupo: str
    produto: str
    net_tonnes: float
    share: float  # 0..1


@dataclass(frozen=True)
class AgingBucket:
    bucket: str  # "0-30", "31-60", "61-90", "91-180", ">180"
    tonnes: float
    lots: int


@dataclass(frozen=True)
class SkuSituation:
    """The SKUs the stock advice puts under one action (`recomendacao_estoque.acao`), and their stock."""

    action: str
    skus: int
    stock_tonnes: float


@dataclass(frozen=True)
class StockAdvice:
    """Each SKU's situation in `recomendacao_estoque`: its one verdict per SKU (stock summed over clients and
    centres), counted per action, every action shown (zeros too), in the order a manager acts on them."""

    snapshot: date
    excess_weeks: float  # the policy's weeks of cover above which stock is excess
    situations: list[SkuSituation]

    @property
    def skus(self) -> int:
        return sum(situation.skus for situation in self.situations)


@dataclass(frozen=True)
class ObsolescenceLine:
    centro: str
    grupo: str
    tonnes: float
    share: float  # of that centro and group's stock


@dataclass(frozen=True)
class StockSection:
    """Stock figures of the latest snapshot at or before the month's end; for the latest billed month, the latest
    snapshot, which an export may date a few days after its billing's last day."""

    snapshot: date
    total_tonnes: float
    lots: int
    average_age_weeks: float  # weighted by tonnes
    aging: list[AgingBucket]
    advice: StockAdvice | None  # None: the advice saw billing after this month (it is in the latest month's report)
    obsolescence: list[ObsolescenceLine]


@dataclass(frozen=True)
class ForecastLine:
    sku: str
    demand_class: str  # suave, erratica, intermitente, irregular
    tonnes: tuple[float, ...]  # the next three months


@dataclass(frozen=True)
class ReorderLine:
    sku: str
    action: str  # "ruptura" or "repor"
    stock_tonnes: float
    weekly_demand: float
    reorder_point: float
    purchase: float


@dataclass(frozen=True)
class ForecastSection:
    """The forecast made from the last complete month (never after the report's month) and what to reorder."""

    base: date  # mes_base: the last complete month the forecast saw
    model: str
    months: tuple[date, ...]
    totals: tuple[float, ...]
    ranges: tuple[tuple[float, float] | None, ...]  # each total's 80% interval (None: too few backtest errors)
    top: list[ForecastLine]  # the largest SKUs of the first month, at most 10
    wape: float | None  # the forecaster's backtest WAPE at one month
    naive_wape: float | None
    bias: float | None  # its backtest bias at one month: (forecast - actual) / actual
    coverage: float | None  # the share of backtest SKU-months its 80% interval held
    reorder_snapshot: date | None  # None: the recommendations saw data after the report's month
    reorder: list[ReorderLine]  # the largest purchases, at most 15
    reorder_count: int
    reorder_tonnes: float
    reorder_cover: float = 0.0  # of the SKUs to buy: demand over lead time and review
    reorder_safety: float = 0.0  # their safety stock
    reorder_stock: float = 0.0  # their stock on the snapshot
    sporadic_count: int = 0  # of the SKUs to buy, those sold in few months (demand kinds intermitente, irregular)
    sporadic_tonnes: float = 0.0  # their purchase
    sporadic_cover: float = 0.0  # their demand over lead time and review


def report_name(month: date) -> str:
    """The `report` row of a month."""
    return f"relatorio-mensal-{month:%Y-%m}"


def report_month(name: str) -> date:
    """The month a report name (`relatorio-mensal-YYYY-MM`) is of: its first day."""
    return date.fromisoformat(f"{name.removeprefix('relatorio-mensal-')}-01")


@dataclass(frozen=True)
class MonthlyReport:
    """Everything `relatorio-mensal-YYYY-MM` shows."""

    month: date  # first day of the month
    current: Headline
    previous: Headline | None  # the month before, when billed
    year_before: Headline | None  # the same month a year before, when billed
    trend: list[Headline]  # up to 13 months ending with `month`, for the chart
    top_clients: list[ClientShare]  # at most 10
    regions: list[RegionSales]
    mix: list[MixLine]
    stock: StockSection | None  # None: no snapshot at or before the month's end
    forecast: ForecastSection | None = None  # None: no forecast made by the month's end
    partial_until: date | None = None  # the latest billing day, when it falls before the month's last day
    generated_on: date = field(default_factory=date.today)

    @property
    def name(self) -> str:
        return report_name(self.month)

    def figures_sha256(self) -> str:
        """A digest of every figure the report shows (not the day it was made): equal digests, equal reports."""
        figures = tuple(getattr(self, f.name) for f in fields(self) if f.name != "generated_on")
        return hashlib.sha256(repr(figures).encode()).hexdigest()
