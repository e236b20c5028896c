"""The few SQL expressions that PostgreSQL and SQLite spell differently, so KPI queries are written once and give
the same days on both (`tests/test_parity.py` compares them on every day of three years)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """Date arithmetic at day precision; SQLite stores timestamps as ISO text, PostgreSQL as timestamps."""

    name: str

    def day(self, expr: str) -> str:
        return f"CAST({expr} AS DATE)" if self.name == "postgresql" else f"date({expr})"

    def month(self, expr: str) -> str:
        if self.name == "postgresql":
            return f"CAST(date_trunc('month', {expr}) AS DATE)"
        return f"date({expr}, 'start of month')"

    def days_before(self, expr: str, days: int) -> str:
        """The day `days` before the day of `expr`."""
        if self.name == "postgresql":
            return f"(CAST({expr} AS DATE) - {days})"
        return f"date({expr}, '-{days} days')"

    def months_before(self, expr: str, months: int) -> str:
        """The same day `months` earlier, or that month's last day when it is shorter (PostgreSQL's rule).

        SQLite rolls the missing days over into the next month (31 May - 3 months = 3 March): a day of the month
        that changed means it rolled over, and the month before the one it rolled into ends on the day wanted.
        """
        if self.name == "postgresql":
            return f"CAST(CAST({expr} AS DATE) - INTERVAL '{months} months' AS DATE)"
        shifted = f"date({expr}, '-{months} months')"
        return (
            f"CASE WHEN strftime('%d', {shifted}) = strftime('%d', {expr}) THEN {shifted} "
            f"ELSE date({shifted}, 'start of month', '-1 day') END"
        )

    def days_between(self, start: str, end: str) -> str:
        if self.name == "postgresql":
            return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"
        return f"CAST(julianday(date({end})) - julianday(date({start})) AS INTEGER)"

    def real(self, expr: str) -> str:
        """A decimal value as a float, so shares and averages come out alike on both databases."""
        return f"CAST({expr} AS DOUBLE PRECISION)" if self.name == "postgresql" else f"CAST({expr} AS REAL)"
