"""Monthly demand per SKU from the loaded billing: net tonnes clipped at 0, every SKU from the file's first month.

Read from `faturamento_diario` (the KPI stage's daily aggregate, kept current month by month), never from the
billing lines: a few thousand rows a month whatever the export's size.

A month is complete when its last day is on or before the latest billing date; forecasts start from the last
complete month (`mes_base`), never from a partial one.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, func, select

from synapse_pipeline.kpis.catalog import FATURAMENTO_DIARIO
from synapse_pipeline.kpis.queries import render
from synapse_pipeline.lib.dates import add_months, as_date

SQL_DIR = Path(__file__).parent / "sql"


def is_complete(month: date, latest: date) -> bool:
    """Whether the month starting on `month` ends on or before the latest billing date."""
    return add_months(month, 1) - timedelta(days=1) <= latest


@dataclass(frozen=True)
class MonthlyDemand:
    """SKUs x months of demand (tonnes >= 0), the months from the file's first to the latest billing date's."""

    skus: list[str]
    months: list[date]
    tonnes: np.ndarray
    latest: date

    @property
    def complete_months(self) -> int:
        return sum(is_complete(month, self.latest) for month in self.months)

    @property
    def mes_base(self) -> date | None:
        """The last complete month, from which forecasts are made."""
        count = self.complete_months
        return self.months[count - 1] if count else None

    def complete(self) -> np.ndarray:
        """The demand of the complete months only."""
        return self.tonnes[:, : self.complete_months]


def monthly_demand(conn: Connection) -> MonthlyDemand:
    """Read the net tonnes per SKU and month; an empty billing gives no SKU and no month."""
    rows = conn.exec_driver_sql(render("demanda_mensal", conn.dialect.name, SQL_DIR)).all()
    latest = conn.execute(select(func.max(FATURAMENTO_DIARIO.c.dia))).scalar()
    if not rows or latest is None:
        return MonthlyDemand([], [], np.zeros((0, 0)), date.min)
    sales = [(sku, as_date(mes), float(tonnes)) for sku, mes, tonnes in rows]
    first = min(mes for _, mes, _ in sales)
    last = as_date(latest)
    months = [first]
    while months[-1] < last.replace(day=1):
        months.append(add_months(months[-1], 1))
    skus = sorted({sku for sku, _, _ in sales})
    row = {sku: i for i, sku in enumerate(skus)}
    column = {mes: i for i, mes in enumerate(months)}
    tonnes = np.zeros((len(skus), len(months)))
    for sku, mes, value in sales:
        tonnes[row[sku], column[mes]] = value
    return MonthlyDemand(skus, months, np.clip(tonnes, 0.0, None), last)
