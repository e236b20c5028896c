"""pt-BR numbers, dates and month names for the report, all through Babel: one place decides how a figure reads."""

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LOCALE = "pt_BR"


def number(value: float, decimals: int = 2, *, signed: bool = False) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    rounded = round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0,00"
    if signed and rounded:
        pattern = f"+{pattern};-{pattern}"
    return format_decimal(rounded, format=pattern, locale=LOCALE)


def count(value: int) -> str:
    return number(value, 0)


def percent(share: float, *, signed: bool = False) -> str:
    pattern = "#,##0.0%"
    rounded = round(share, 3) + 0.0
    if signed and rounded:
        pattern = f"+{pattern};-{pattern}"
    return format_percent(rounded, format=pattern, locale=LOCALE)


def tick(value: float) -> str:
    """A chart axis label: at most two decimals, none when whole."""
    return format_decimal(value, format="#,##0.##", locale=LOCALE)


def day(value: date) -> str:
    return format_date(value, format="dd/MM/y", locale=LOCALE)


def long_month(month: date) -> str:
    return format_date(month, format="MMMM 'de' y", locale=LOCALE)


def short_month(month: date) -> str:
    """The abbreviated month name alone, for the trend chart's ticks."""
    return format_date(month, format="MMM", locale=LOCALE)


def month_year(month: date) -> str:
    """A short month with its year, for table headers: "ago. 2025"."""
    return format_date(month, format="MMM y", locale=LOCALE)
