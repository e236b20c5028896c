"""The figures of one monthly report, as plain data: queried from the KPI tables, rendered by `render`."""

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date


def add_months(month: date, months: int) -> date:
    """The first day of the month `months` after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


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
class CoverageLine:
    sku: str
    nome: str  # client
    stock_tonnes: float
    weekly_net_tonnes: float
    coverage_weeks: float | None  # None when there is no demand
    flag: str  # "reorder", "excess", "no demand", "rupture" or ""


@dataclass(frozen=True)
class ObsolescenceLine:
    centro: str
    grupo: str
    tonnes: float
    share: float  # of that centro and group's stock


@dataclass(frozen=True)
class StockSection:
    """Stock figures of the latest snapshot at or before the month's end."""

    snapshot: date
    total_tonnes: float
    lots: int
    average_age_weeks: float  # weighted by tonnes
    aging: list[AgingBucket]
    reorder: int  # SKU-client pairs under 4 weeks of coverage
    excess: int  # over 26 weeks
    no_demand: int  # stock with no demand in 52 weeks
    rupture: int  # sold in the last 52 weeks, no stock line
    coverage: list[CoverageLine]  # the most urgent lines, at most 15
    obsolescence: list[ObsolescenceLine]


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
    generated_on: date = field(default_factory=date.today)

    @property
    def name(self) -> str:
        return f"relatorio-mensal-{self.month:%Y-%m}"

    def figures_sha256(self) -> str:
        """A digest of every figure the report shows (not the day it was made): equal digests, equal reports."""
        figures = tuple(getattr(self, f.name) for f in fields(self) if f.name != "generated_on")
        return hashlib.sha256(repr(figures).encode()).hexdigest()
