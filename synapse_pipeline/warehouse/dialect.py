"""The few SQL expressions that PostgreSQL and SQLite spell differently, so KPI queries are written once."""

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
        if self.name == "postgresql":
            return f"CAST(CAST({expr} AS DATE) - INTERVAL '{months} months' AS DATE)"
        return f"date({expr}, '-{months} months')"

    def days_between(self, start: str, end: str) -> str:
        if self.name == "postgresql":
            return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"
        return f"CAST(julianday(date({end})) - julianday(date({start})) AS INTEGER)"

    def real(self, expr: str) -> str:
        """A decimal value as a float, so shares and averages come out alike on both databases."""
        return f"CAST({expr} AS DOUBLE PRECISION)" if self.name == "postgresql" else f"CAST({expr} AS REAL)"
