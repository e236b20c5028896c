"""Month arithmetic and day values as both databases return them: one copy for every stage."""

from datetime import date


def as_date(value: object) -> date:
    """A date from what either database returns for a day: a date, a datetime or ISO text."""
    return value if type(value) is date else date.fromisoformat(str(value)[:10])


def add_months(month: date, months: int) -> date:
    """The first day of the month `months` after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
