"""The hand-off from a raw asset to the loads: which file passed validation, and what it holds.

Stored by the IO manager between the runs, it lets a load reopen the very file that was validated, and no other.
"""

from dataclasses import dataclass

import pandas as pd

from synapse_pipeline.ingest.kinds import ExportError, ExportKind
from synapse_pipeline.ingest.profile import FileProfile, file_sha256
from synapse_pipeline.ingest.reader import ExportReader
from synapse_pipeline.ingest.report import ExportReport


@dataclass(frozen=True)
class ValidatedExport:
    """What a raw asset hands to the loads: which file passed validation, and what it holds."""

    kind: str
    profile: FileProfile
    rows: int
    client_codes: frozenset[int]
    dates: tuple[pd.Timestamp, ...]
    rows_per_month: tuple[tuple[str, int], ...]  # (`YYYY-MM-01`, rows), the faturamento partitions it fills
    duplicate_lines: int

    @classmethod
    def from_report(cls, report: ExportReport) -> "ValidatedExport":
        """The hand-off of a file whose report found it valid: what the loads need, without its failures."""
        return cls(
            kind=report.kind,
            profile=report.profile,
            rows=report.rows,
            client_codes=frozenset(report.client_codes),
            dates=tuple(sorted(report.dates)),
            rows_per_month=tuple(sorted(report.months().items())),
            duplicate_lines=report.duplicate_lines,
        )

    def rows_between(self, start: pd.Timestamp, end: pd.Timestamp) -> int:
        """Rows dated in [start, end), counted when the file was validated."""
        return sum(n for month, n in self.rows_per_month if start <= pd.Timestamp(month) < end)

    def open(self, kind: ExportKind) -> ExportReader:
        """A reader of the same file, refusing it if its content changed since it was validated.

        An unchanged hash means the same bytes, so the profile found then still holds: only the hash is read again,
        and duplicates, counted then, are not counted again.
        """
        path = self.profile.path
        if file_sha256(path) != self.profile.sha256:
            raise ExportError(
                f"{path.name} changed since {kind.name}_raw validated it; materialize {kind.name}_raw again"
            )
        return ExportReader(path, kind, profile=self.profile, count_duplicates=False)
