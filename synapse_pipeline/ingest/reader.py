"""Reading an export: parse, clean and validate it in chunks, filling its report as it goes.

The raw assets read each export once, here: they describe and validate it, and keep its valid typed chunks as the
validated result the loads read (`result.py`).
"""

import hashlib
import io
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.csv as arrow_csv

from synapse_pipeline.ingest.chunks import cast_ahead, every_failure, normalise_formats
from synapse_pipeline.ingest.cleaning import Cleaner, distinct, line_hashes
from synapse_pipeline.ingest.header import check_quotes, read_header
from synapse_pipeline.ingest.kinds import DELIMITER, QUOTE, ExportError, ExportKind
from synapse_pipeline.ingest.profile import FileProfile, profile_file
from synapse_pipeline.ingest.read_ahead import read_ahead
from synapse_pipeline.ingest.report import ExportReport

# Lines per chunk: each is cleaned and validated whole, and three are in memory at once while the next is parsed and
# the last written; 100,000 keeps a 10M-line file's validation under 1 GiB, as fast as 200,000.
CHUNK_ROWS = 100_000
DUPLICATE_EXAMPLES = 20  # the duplicate lines the check names
# Arrow's streaming reader parses blocks of this size (larger if a line is longer) and reads up to 32 of them ahead:
# 32 MiB of the file wait in memory, whatever its size.
BLOCK_BYTES = 1 << 20
READ, CLEAN, VALIDATE = "read", "clean", "validate"


def _text_chunks(
    profile: FileProfile, header: list[str], chunk_rows: int
) -> Iterator[tuple[pd.RangeIndex, arrow.Table]]:
    """The data lines as tables of text (an empty value: null), each with its index (line = index + 2), by Arrow's
    CSV reader.

    Large strings: what pandas keeps its text in, so no column is copied on the way. Any field may be quoted as
    spreadsheets do; a line with too few or too many fields stops the read, named (one thread keeps Arrow's line
    numbers).
    """
    miscounted: list[arrow_csv.InvalidRow] = []

    def refuse(row: arrow_csv.InvalidRow) -> str:
        miscounted.append(row)
        return "error"

    block_size = max(BLOCK_BYTES, 3 * profile.longest_line)  # a cp1252 byte may take three in UTF-8
    read = arrow_csv.ReadOptions(
        use_threads=False, block_size=block_size, skip_rows=1, column_names=header, encoding=profile.encoding
    )
    parse = arrow_csv.ParseOptions(
        delimiter=DELIMITER, quote_char=QUOTE, ignore_empty_lines=False, invalid_row_handler=refuse
    )
    text = arrow_csv.ConvertOptions(
        column_types=dict.fromkeys(header, arrow.large_string()), strings_can_be_null=True, null_values=[""]
    )
    lines_read = 0
    try:
        with (
            _Hashed(profile.path) as source,
            arrow_csv.open_csv(source, read_options=read, parse_options=parse, convert_options=text) as blocks,
        ):
            for batches in _grouped(blocks, chunk_rows):
                raw = arrow.Table.from_batches(batches)
                yield pd.RangeIndex(lines_read, lines_read + raw.num_rows), raw
                lines_read += raw.num_rows
            if source.digest.hexdigest() != profile.sha256:
                raise ExportError(
                    f"{profile.path.name} changed while it was read (its sha256 is no longer "
                    f"{profile.sha256[:16]}...): refused, nothing of it is kept; it is read again once it is stable"
                )
    except arrow.ArrowInvalid as error:
        if not miscounted:
            raise ExportError(f"{profile.path.name}: cannot parse: {error}") from error
        row = miscounted[0]
        why = "a stray '|' or a broken line" if row.actual_columns > row.expected_columns else "a line cut short"
        raise ExportError(
            f"{profile.path.name}, line {row.number}: {row.actual_columns} fields where the header has "
            f"{row.expected_columns} ({why})"
        ) from error


class _Hashed(io.RawIOBase):
    """A file read through once, hashing the bytes as they pass: what was parsed is what the hash names, even if the
    path is overwritten meanwhile (a `cp` onto the same inode mid-read)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = path.open("rb")
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._file.readinto(buffer)
        self.digest.update(memoryview(buffer)[:count])
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def _grouped(blocks: Iterator[arrow.RecordBatch], rows: int) -> Iterator[list[arrow.RecordBatch]]:
    """Arrow's parsed blocks gathered into lists of at least `rows` lines (the last one shorter)."""
    group: list[arrow.RecordBatch] = []
    lines = 0
    for block in blocks:
        group.append(block)
        lines += block.num_rows
        if lines >= rows:
            yield group
            group, lines = [], 0
    if group:
        yield group


class ExportReader:
    """Streams an export as cleaned, validated, typed chunks while filling an `ExportReport`."""

    def __init__(
        self,
        path: Path,
        kind: ExportKind,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self.kind = kind
        self.chunk_rows = chunk_rows
        self.profile = profile_file(path)
        self.header = read_header(self.profile, kind)
        if self.profile.has_quotes:
            check_quotes(self.profile, self.header)
        self.report = ExportReport(kind=kind.name, profile=self.profile)
        self._cleaner = Cleaner()
        self._hashes: list[np.ndarray] = []

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Valid typed chunks in file order; after the last one, `report` is complete.

        Invalid chunks are not yielded but still read, so the report counts every failure in the file.
        """
        seconds = self.report.stage_seconds
        started = time.perf_counter()
        for index, raw in read_ahead(_text_chunks(self.profile, self.header, self.chunk_rows), depth=1):
            seconds[READ] += time.perf_counter() - started
            typed = self._process(raw, index)
            if typed is not None and self.report.valid:
                yield typed
            started = time.perf_counter()
        self._count_duplicates()

    def validate(self) -> ExportReport:
        """Read the whole file for its report only."""
        for _ in self.chunks():
            pass
        return self.report

    def _process(self, raw: arrow.Table, index: pd.RangeIndex) -> pd.DataFrame | None:
        """One raw chunk cleaned, typed and validated, each stage timed; None if it breaks a rule."""
        seconds = self.report.stage_seconds
        started = time.perf_counter()
        columns = distinct(raw, self.kind.columns)
        self._hashes.append(line_hashes(columns))
        cleaned = self._cleaner.clean(raw, columns, self.report.cleaning, index)
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

    def _validated(self, frame: pd.DataFrame, raw: arrow.Table) -> pd.DataFrame | None:
        """The chunk coerced by the pandera model, or None after recording its failures (with the values as the
        file holds them)."""
        try:
            return self.kind.model.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            cases = every_failure(self.kind.model, frame, errors.failure_cases)
        self.report.record_failures(cases, raw.select(self.kind.columns).to_pandas().set_axis(frame.index))
        return None

    def _count_duplicates(self) -> None:
        """Exact duplicate lines of the whole file, found from the hashes of every chunk's lines: counted on one
        sorted copy of them (a line whose hash equals the one before it), then the first few found in file order.
        A sort in place needs a fraction of the memory of a hash table over every line (at 10M lines about 90 MB,
        where pandas' `duplicated` took 280)."""
        if not self._hashes:
            return
        ordered = np.concatenate(self._hashes)
        ordered.sort()
        repeated = ordered[1:] == ordered[:-1]
        self.report.duplicate_lines = int(np.count_nonzero(repeated))
        self.report.duplicate_examples = self._first_duplicates(np.unique(ordered[1:][repeated]))
        self._hashes = []

    def _first_duplicates(self, repeated: np.ndarray, shown: int = DUPLICATE_EXAMPLES) -> list[int]:
        """The line numbers of the first `shown` lines that repeat an earlier one, `repeated` being the hashes found
        more than once."""
        seen: set[int] = set()
        found: list[int] = []
        first_line = 2
        for hashes in self._hashes:
            for i in np.flatnonzero(np.isin(hashes, repeated)):
                if int(hashes[i]) in seen:
                    found.append(first_line + int(i))
                    if len(found) == shown:
                        return found
                seen.add(int(hashes[i]))
            first_line += len(hashes)
        return found
