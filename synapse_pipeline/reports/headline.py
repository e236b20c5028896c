"""The month's headline figures against the previous month and the same month a year before, formatted as shown.

Shared by the HTML, markdown and plain-text renderings, so the three always agree.
"""

from dataclasses import dataclass

from synapse_pipeline.reports.formatting import number, percent
from synapse_pipeline.reports.model import Headline, MonthlyReport

NO_DATA, NOT_APPLICABLE = "sem dados", "—"
_HEADLINE_FIGURES = (  # label, Headline field, decimals
    ("Líquido (t)", "net_tonnes", 2),
    ("Expedido bruto (t)", "gross_tonnes", 2),
    ("Devoluções (t)", "returns_tonnes", 2),
    ("Linhas", "lines", 0),
    ("Clientes ativos", "active_clients", 0),
)


@dataclass(frozen=True)
class Comparison:
    """A headline figure of an earlier month, formatted: its value, the month's difference to it, the % change."""

    value: str
    difference: str
    change: str


@dataclass(frozen=True)
class HeadlineRow:
    label: str
    current: str
    previous: Comparison
    year_before: Comparison


def _compare(current: float, other: Headline | None, field: str, decimals: int) -> Comparison:
    """The change has the sign of the difference, also for returns (negative): relative to the other's magnitude."""
    if other is None:
        return Comparison(NO_DATA, NOT_APPLICABLE, NOT_APPLICABLE)
    before = getattr(other, field)
    difference = current - before
    change = percent(difference / abs(before), signed=True) if before else NOT_APPLICABLE
    return Comparison(number(before, decimals), number(difference, decimals, signed=True), change)


def headline_rows(report: MonthlyReport) -> list[HeadlineRow]:
    rows = []
    for label, field, decimals in _HEADLINE_FIGURES:
        current = getattr(report.current, field)
        rows.append(
            HeadlineRow(
                label,
                number(current, decimals),
                _compare(current, report.previous, field, decimals),
                _compare(current, report.year_before, field, decimals),
            )
        )
    return rows
