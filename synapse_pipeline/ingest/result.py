"""The validated result of an export: its valid, cleaned, typed rows as Parquet, named by the export's sha256.

The raw asset writes it while it reads and validates the text once; the loads read it back, a month window at a
time, and never parse the text again. It lives beside the Dagster instance's storage, so the results an instance
keeps are those its own materializations point to.
"""

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as arrow
import pyarrow.parquet as parquet

from synapse_pipeline.ingest.chunks import PANDAS_TYPES
from synapse_pipeline.ingest.kinds import UNIQUE_PER_LINE, ExportError, ExportKind
from synapse_pipeline.ingest.read_ahead import read_ahead
from synapse_pipeline.ingest.reader import ExportReader
from synapse_pipeline.lib.files import private_folder, written_atomically
from synapse_pipeline.lib.memory import release_freed_memory

DATE_COLUMN = "data"
# Fast to write and read back; the file is a hand-off between two steps, not an archive.
COMPRESSION = "lz4"
WRITE_RESULT = "write validated result"  # a stage of the raw asset, beside read, clean and validate


class _Invalid(Exception):
    """The export broke a rule: its partial result is dropped, never given the final name."""


def results_folder(instance: dg.DagsterInstance) -> Path:
    """Where an instance keeps its validated results (`.synapse/dagster/storage/validated` on the embedded one), as an
    absolute path: the hand-off names it, and a load may run from another folder."""
    return private_folder(Path(instance.storage_directory()).resolve() / "validated")


def result_path(folder: Path, kind: ExportKind, sha256: str) -> Path:
    return folder / f"{kind.name}-{sha256}.parquet"


def arrow_schema(kind: ExportKind) -> arrow.Schema:
    """The result's columns: the typed ones as the reader types them, the rest text."""
    return arrow.schema([(column, kind.typed_columns.get(column, arrow.string())) for column in kind.columns])


def write_result(reader: ExportReader, target: Path) -> bool:
    """Read, clean and validate the whole file once, writing its valid chunks to `target` (one row group each, in
    file order, so a month's load skips the groups that hold none of its dates); False, and no file, if invalid.
    The next chunk is validated in a thread while one is written."""
    schema = arrow_schema(reader.kind)
    try:
        with written_atomically(target, private=True) as partial:
            dictionary = [column for column in schema.names if column not in UNIQUE_PER_LINE]
            with parquet.ParquetWriter(
                partial,
                schema,
                compression=COMPRESSION,
                use_dictionary=dictionary,
                write_statistics=[DATE_COLUMN],  # what a month's load skips row groups by; the rest were never read
            ) as writer:
                for chunk in read_ahead(reader.chunks(), depth=1):
                    started = time.perf_counter()
                    writer.write_table(arrow.Table.from_pandas(chunk, preserve_index=False).cast(schema))
                    reader.report.stage_seconds[WRITE_RESULT] += time.perf_counter() - started
            if not reader.report.valid:
                raise _Invalid
    except _Invalid:
        return False
    finally:
        release_freed_memory()
    return True


def remove_others(folder: Path, kind: ExportKind, keep: Path) -> list[str]:
    """Remove the results of `kind` other than `keep`: a new validation supersedes them, as the loads read the raw
    asset's latest output. A load already reading one keeps its open file until it ends."""
    removed = []
    for path in folder.glob(f"{kind.name}-*.parquet"):
        if path != keep:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def read_result(
    path: Path, start: datetime | None = None, end: datetime | None = None, batch_rows: int = 200_000
) -> Iterator[pd.DataFrame]:
    """The rows of a result as typed frames, in file order; with a window, only the row groups whose dates meet
    [start, end) are read (the caller keeps the window's rows)."""
    try:
        result = parquet.ParquetFile(path)
    except FileNotFoundError as error:
        raise ExportError(f"the validated result {path.name} is gone; materialize the raw asset again") from error
    with result:
        groups = list(range(result.metadata.num_row_groups))
        if start is not None and end is not None:
            groups = [g for g in groups if _meets(result.metadata.row_group(g), start, end)]
        for batch in result.iter_batches(batch_size=batch_rows, row_groups=groups):
            yield batch.to_pandas(types_mapper=PANDAS_TYPES.get)


def _meets(group: parquet.RowGroupMetaData, start: datetime, end: datetime) -> bool:
    """Whether a row group may hold dates in [start, end), by its statistics (none: it may)."""
    for i in range(group.num_columns):
        column = group.column(i)
        if column.path_in_schema == DATE_COLUMN:
            stats = column.statistics
            if stats is None or not stats.has_min_max:
                return True
            return pd.Timestamp(stats.min) < pd.Timestamp(end) and pd.Timestamp(stats.max) >= pd.Timestamp(start)
    return True
