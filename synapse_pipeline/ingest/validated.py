"""The hand-off from a raw asset to the loads: which file passed validation, what it holds, and its validated rows.

Stored by the IO manager between the runs, it points the loads at the validated result (Parquet, written while the
file was validated), so they never parse the text again, and names the export's sha256 then, so they refuse an
export that has changed since.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from synapse_pipeline.ingest.kinds import ExportError, ExportKind
from synapse_pipeline.ingest.profile import FileProfile, file_sha256
from synapse_pipeline.ingest.report import ExportReport
from synapse_pipeline.ingest.result import read_result


@dataclass(frozen=True)
class ValidatedExport:
    """What a raw asset hands to the loads: which file passed validation, what it holds, and where its rows are."""

    kind: str
    profile: FileProfile
    rows: int
    client_codes: frozenset[int]
    dates: tuple[pd.Timestamp, ...]
    rows_per_month: tuple[tuple[str, int], ...]  # (`YYYY-MM-01`, rows), the faturamento partitions it fills
    duplicate_lines: int
    # The valid rows, cleaned and typed, as Parquet; None in a hand-off stored before validated results were kept.
    result: Path | None = None
    cleaning: tuple[tuple[str, int], ...] = ()  # values each cleaning rule changed in the whole file
    negative_weights: int = 0
    zero_weights: int = 0

    @classmethod
    def from_report(cls, report: ExportReport, result: Path) -> "ValidatedExport":
        """The hand-off of a file whose report found it valid: what the loads need, without its failures."""
        return cls(
            kind=report.kind,
            profile=report.profile,
            rows=report.rows,
            client_codes=frozenset(report.client_codes),
            dates=tuple(sorted(report.dates)),
            rows_per_month=tuple(sorted(report.months().items())),
            duplicate_lines=report.duplicate_lines,
            result=result,
            cleaning=tuple(sorted(report.cleaning.items())),
            negative_weights=report.negative_weights,
            zero_weights=report.zero_weights,
        )

    def rows_between(self, start: pd.Timestamp, end: pd.Timestamp) -> int:
        """Rows dated in [start, end), counted when the file was validated."""
        return sum(n for month, n in self.rows_per_month if start <= pd.Timestamp(month) < end)

    def confirm_unchanged(self, kind: ExportKind, *, after_load: bool = False) -> bool:
        """Refuse the validated rows if the export now holds other bytes; False if it is no longer there.

        A load checks before it writes and again before it commits (`after_load`), so an export overwritten
        meanwhile is refused too. An export moved away after validation (archived, say) is no other version of it:
        its validated rows are still what it held, and they load.
        """
        path = self.profile.path
        try:
            sha256 = file_sha256(path)
        except FileNotFoundError:
            return False
        if sha256 == self.profile.sha256:
            return True
        if after_load:
            raise ExportError(
                f"{path.name} changed while it was read for this load (its sha256 is no longer "
                f"{self.profile.sha256[:16]}...): refused, nothing of it is kept; it is read again once it is stable"
            )
        raise ExportError(f"{path.name} changed since {kind.name}_raw validated it; materialize {kind.name}_raw again")

    def frames(self, start: datetime | None = None, end: datetime | None = None) -> Iterator[pd.DataFrame]:
        """The validated rows as typed frames in file order (with a window, those of the row groups that meet it)."""
        if self.result is None:
            raise ExportError(f"{self.profile.path.name} has no validated result; materialize {self.kind}_raw again")
        return read_result(self.result, start, end)
