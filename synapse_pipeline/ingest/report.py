"""What reading an export learns about it: formats, cleaning, contents, and every failure with its line and rule.

The reader fills one `ExportReport` per file; the checks, the raw assets' metadata and the loads read it.
"""

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from synapse_pipeline.ingest.profile import FileProfile

MAX_REPORTED_FAILURES = 50


@dataclass(frozen=True)
class Failure:
    """One value that breaks a rule of the pandera model."""

    file: str
    line: int | None
    column: str | None
    rule: str
    value: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{self.file}, {where}, column {self.column}: {self.rule} (value {self.value!r})"


def _rule(check: str) -> str:
    """A readable rule name: pandera's check text, with long value lists shortened."""
    if check.startswith("isin(") and len(check) > 40:
        return f"isin({check.count(',') + 1} allowed values)"
    return check


@dataclass
class ExportReport:
    """Everything learnt while reading an export: formats, cleaning, failures, warnings and contents."""

    kind: str
    profile: FileProfile
    date_format: str = "unknown"
    decimal: str = "unknown"
    rows: int = 0
    cleaning: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    failure_counts: Counter[str] = field(default_factory=Counter)
    duplicate_lines: int = 0
    duplicate_examples: list[int] = field(default_factory=list)
    negative_weights: int = 0
    zero_weights: int = 0
    client_codes: set[int] = field(default_factory=set)
    dates: Counter[pd.Timestamp] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)  # read, clean, validate; the loads add their load

    @property
    def failure_total(self) -> int:
        return sum(self.failure_counts.values())

    @property
    def valid(self) -> bool:
        return self.failure_total == 0

    def months(self) -> Counter[str]:
        """Rows per month (`YYYY-MM-01`), the faturamento partitions the file fills."""
        months: Counter[str] = Counter()
        for day, n in self.dates.items():
            months[day.strftime("%Y-%m-01")] += n
        return months

    def error_message(self, shown: int = 5) -> str:
        head = "; ".join(str(f) for f in self.failures[:shown])
        more = self.failure_total - min(shown, len(self.failures))
        tail = f"; and {more} more" if more > 0 else ""
        return f"{self.profile.path.name}: {self.failure_total} invalid value(s): {head}{tail}"

    def record_failures(self, cases: pd.DataFrame, raw: pd.DataFrame) -> None:
        """Count a chunk's failure cases and keep the first ones, with the value as it stands in the file."""
        checks = cases["check"].astype(str)
        cases = cases[cases["index"].notna() & ~checks.str.startswith("dtype(")]
        cases = cases.sort_values("index", kind="stable")
        for column, check, index in zip(cases["column"], cases["check"], cases["index"], strict=True):
            rule = _rule(str(check))
            self.failure_counts[f"{column}: {rule}"] += 1
            if len(self.failures) < MAX_REPORTED_FAILURES:
                value = raw.at[index, column]
                shown = "" if pd.isna(value) else str(value)
                self.failures.append(
                    Failure(
                        file=self.profile.path.name,
                        line=int(index) + 2,
                        column=str(column),
                        rule=rule,
                        value=shown[:200],
                    )
                )

    def add_valid_chunk(self, typed: pd.DataFrame, weight_column: str | None) -> None:
        """Count what a valid chunk holds: rows, clients, dates and, where weighed, negative and zero weights."""
        self.rows += len(typed)
        self.client_codes.update(int(c) for c in typed["cod_cliente"].unique())
        self.dates.update(typed["data"].dt.normalize().value_counts().to_dict())
        if weight_column:
            weights = typed[weight_column]
            self.negative_weights += int((weights < 0).sum())
            self.zero_weights += int((weights == 0).sum())
