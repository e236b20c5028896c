"""The month's headline figures against the previous month and the same month a year before, formatted as shown.

Shared by the HTML, markdown and plain-text renderings, so the three always agree.
"""

from dataclasses import dataclass

from synapse_pipeline.reports.formatting import number, percent
from synapse_pipeline.reports.model import Headline, MonthlyReport

NO_DATA, NOT_APPLICABLE = "sem dados", "—"
# label, Headline field, decimals, sign: returns are stored negative and shown as tonnes returned, so that more
# returns read as more (+) and fewer as fewer (-).
_HEADLINE_FIGURES = (
    ("Líquido (t)", "net_tonnes", 2, 1),
    ("Expedido bruto (t)", "gross_tonnes", 2, 1),
    ("Devoluções (t)", "returns_tonnes", 2, -1),
    ("Linhas", "lines", 0, 1),
    ("Clientes ativos", "active_clients", 0, 1),
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


def _compare(current: float, other: Headline | None, field: str, decimals: int, sign: int, partial: bool) -> Comparison:
    """The earlier month's value, the difference and the change; none for a partial month, which would compare
    days with a whole month."""
    if other is None:
        return Comparison(NO_DATA, NOT_APPLICABLE, NOT_APPLICABLE)
    before = sign * getattr(other, field)
    if partial:
        return Comparison(number(before, decimals), NOT_APPLICABLE, NOT_APPLICABLE)
    difference = current - before
    change = percent(difference / abs(before), signed=True) if before else NOT_APPLICABLE
    return Comparison(number(before, decimals), number(difference, decimals, signed=True), change)


def headline_rows(report: MonthlyReport) -> list[HeadlineRow]:
    rows = []
    partial = report.partial_until is not None
    for label, field, decimals, sign in _HEADLINE_FIGURES:
        current = sign * getattr(report.current, field)
        rows.append(
            HeadlineRow(
                label,
                number(current, decimals),
                _compare(current, report.previous, field, decimals, sign, partial),
                _compare(current, report.year_before, field, decimals, sign, partial),
            )
        )
    return rows
