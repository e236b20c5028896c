"""Reading an export: parse, clean and validate it in chunks, filling its report as it goes.

One reader serves both the raw assets (which validate and describe a file) and the loads (which stream its
typed chunks into the warehouse), so a file is always parsed, cleaned and checked the same way.
"""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from synapse_pipeline.ingest.chunks import cast_ahead, every_failure, normalise_formats
from synapse_pipeline.ingest.cleaning import Cleaner
from synapse_pipeline.ingest.header import check_quotes, read_header
from synapse_pipeline.ingest.kinds import DELIMITER, ExportError, ExportKind
from synapse_pipeline.ingest.profile import FileProfile, profile_file
from synapse_pipeline.ingest.report import ExportReport

CHUNK_ROWS = 200_000
READ, CLEAN, VALIDATE = "read", "clean", "validate"


class ExportReader:
    """Streams an export as cleaned, validated, typed chunks while filling an `ExportReport`."""

    def __init__(
        self,
        path: Path,
        kind: ExportKind,
        chunk_rows: int = CHUNK_ROWS,
        profile: FileProfile | None = None,
        count_duplicates: bool = True,
    ) -> None:
        """`profile`, when given, is the checked profile of this very file: its byte-level checks are skipped."""
        self.kind = kind
        self.chunk_rows = chunk_rows
        self.count_duplicates = count_duplicates
        self.profile = profile or profile_file(path)
        self.header = read_header(self.profile, kind)
        if self.profile.has_quotes and profile is None:
            check_quotes(self.profile, self.header)
        self.report = ExportReport(kind=kind.name, profile=self.profile)
        self._cleaner = Cleaner()
        self._hashes: list[np.ndarray] = []

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Valid typed chunks in file order; after the last one, `report` is complete.

        Invalid chunks are not yielded but still read, so the report counts every failure in the file.
        """
        reader = pd.read_csv(
            self.profile.path,
            sep=DELIMITER,
            header=0,
            names=self.header,
            dtype=str,
            encoding=self.profile.encoding,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            chunksize=self.chunk_rows,
        )
        seconds = self.report.stage_seconds
        try:
            started = time.perf_counter()
            for raw in reader:
                seconds[READ] += time.perf_counter() - started
                typed = self._process(raw[self.kind.columns])
                if typed is not None and self.report.valid:
                    yield typed
                started = time.perf_counter()
        except pd.errors.ParserError as error:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
            if not found:
                raise ExportError(f"{self.profile.path.name}: cannot parse: {error}") from error
            expected, line, saw = found.groups()
            raise ExportError(
                f"{self.profile.path.name}, line {line}: {saw} fields where the header has {expected} "
                "(a stray '|' or a broken line)"
            ) from error
        finally:
            reader.close()
        self._count_duplicates()

    def validate(self) -> ExportReport:
        """Read the whole file for its report only."""
        for _ in self.chunks():
            pass
        return self.report

    def _process(self, raw: pd.DataFrame) -> pd.DataFrame | None:
        """One raw chunk cleaned, typed and validated, each stage timed; None if it breaks a rule."""
        seconds = self.report.stage_seconds
        started = time.perf_counter()
        if self.count_duplicates:
            self._hashes.append(pd.util.hash_pandas_object(raw, index=False).to_numpy())
        cleaned = self._cleaner.clean(raw, self.report.cleaning)
        normalise_formats(cleaned, self.kind.numeric_columns, self.report)
        cleaned_at = time.perf_counter()
        seconds[CLEAN] += cleaned_at - started
        cast_ahead(cleaned, self.kind.typed_columns)
        typed = self._validated(cleaned, raw)
        seconds[VALIDATE] += time.perf_counter() - cleaned_at
        if typed is None:
            return None
        self.report.add_valid_chunk(typed, self.kind.weight_column)
        return typed

    def _validated(self, frame: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame | None:
        """The chunk coerced by the pandera model, or None after recording its failures."""
        try:
            return self.kind.model.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            cases = every_failure(self.kind.model, frame, errors.failure_cases)
        self.report.record_failures(cases, raw)
        return None

    def _count_duplicates(self) -> None:
        """Exact duplicate lines of the whole file, found from the hashes of every chunk's lines."""
        if not self._hashes:
            return
        hashes = pd.Series(np.concatenate(self._hashes))
        repeated = hashes.duplicated()
        self.report.duplicate_lines = int(repeated.sum())
        self.report.duplicate_examples = [int(i) + 2 for i in np.flatnonzero(repeated.to_numpy())[:20]]
        self._hashes = []
