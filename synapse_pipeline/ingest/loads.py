"""The load assets: the client master and the two fact tables, written from the validated exports.

Each load is one transaction that reads the validated result its raw asset wrote (never the text again), as long
as the export still holds the bytes that were validated; only a lost connection is tried again.
"""

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import dagster as dg
import pandas as pd
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import DBAPIError

from synapse_pipeline.ingest.cleaning import cleaning_table
from synapse_pipeline.ingest.kinds import ESTOQUE, FATURAMENTO, ExportError, ExportKind
from synapse_pipeline.ingest.partitions import SINGLE_RUN, described, month_window, monthly_partitions
from synapse_pipeline.ingest.raw import VALIDATED_RESULT_KEY
from synapse_pipeline.ingest.read_ahead import read_ahead
from synapse_pipeline.ingest.schemas import column_schema
from synapse_pipeline.ingest.validated import ValidatedExport
from synapse_pipeline.lib import markdown
from synapse_pipeline.warehouse.copy import Batch, batches
from synapse_pipeline.warehouse.loads import add_clientes, in_window, replace_estoque, replace_faturamento, row_count
from synapse_pipeline.warehouse.models import Clientes, Estoque, Faturamento
from synapse_pipeline.warehouse.resource import Warehouse

T = TypeVar("T")
PROGRESS_PREFIX = "progress: "  # the log lines `synapse run` shows while a load runs
SOURCE_SHA256_KEY = "source_sha256"  # the export a month was loaded from: its sensor loads no file twice

# A load that loses its connection rolled back whole: trying again is safe (see `_retry_lost_connections`).
LOAD_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL)
REBUILD = "rebuild indexes"
READ_RESULT = "read validated result"  # the Parquet the raw asset wrote, in the read-ahead thread
CHECK_EXPORT = "check export unchanged"  # its sha256, from the load's start and once its last row is sent
BULK_METHOD = "bulk: COPY without indexes and foreign keys, then built again"
# Row by row into the indexed table: PostgreSQL's COPY, SQLite's executemany (no COPY there, no bulk way either).
ROW_METHODS = {"postgresql": "COPY into the indexed table", "sqlite": "executemany into the indexed table"}


@contextmanager
def _retry_lost_connections() -> Iterator[None]:
    """Let only a lost connection reach the RetryPolicy; any other database error, or a file that changed while it
    was read, fails at once, rolled back."""
    try:
        yield
    except DBAPIError as error:
        if error.connection_invalidated:
            raise
        raise dg.Failure(description=f"load rolled back: {error.orig}", allow_retries=False) from error
    except ExportError as error:
        raise dg.Failure(description=f"load rolled back: {error}", allow_retries=False) from error


def _logging_progress(batches: Iterator[Batch], total: int, log: dg.DagsterLogManager) -> Iterator[Batch]:
    """The batches, logging each tenth of the lines written: the UI's event log and `synapse run` show how far."""
    done, step = 0, max(1, total // 10)
    for batch in batches:
        yield batch
        before, done = done, done + len(batch.frame)
        if done // step > before // step:
            log.info(f"{PROGRESS_PREFIX}{done:,} of {total:,} lines written")


def _preview(conn: Connection, table: Table, *where: object) -> dg.MetadataValue:
    """The first rows of what a load wrote, shown in the UI."""
    query = select(table).where(*where).limit(markdown.PREVIEW_ROWS)
    return markdown.preview(pd.DataFrame(conn.execute(query).mappings().all()))


def _month_preview(conn: Connection, partition_key: str) -> dg.MetadataValue:
    """The first rows a load wrote into one month, for that month's partition."""
    start, end = month_window([partition_key])
    return _preview(conn, Faturamento.__table__, Faturamento.data >= start, Faturamento.data < end)


@dg.asset(
    metadata={"dagster/table_name": "clientes"}, backfill_policy=SINGLE_RUN, kinds={"sql"}, retry_policy=LOAD_RETRY
)
def clientes(
    warehouse: Warehouse, estoque_raw: ValidatedExport, faturamento_raw: ValidatedExport
) -> dg.MaterializeResult:
    """Client master: every `cod_cliente` of both exports, `Cliente N` in code order; names never change."""
    codes = estoque_raw.client_codes | faturamento_raw.client_codes
    with _retry_lost_connections(), warehouse.engine.begin() as conn:
        added = add_clientes(conn, codes)
        total = row_count(conn, Clientes.__table__)
        preview = _preview(conn, Clientes.__table__)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": total,
            "clients_in_exports": len(codes),
            "clients_added": len(added),
            "added": markdown.table(dict(added), "cod_cliente", "nome"),
            "preview": preview,
            "warehouse": warehouse.display_url,
        }
    )


class _ExportCheck:
    """The export must still hold the validated bytes when the load starts and once it has written (a refusal then
    rolls it back). Both hashes run in a thread beside the load, the second once the last row is sent, beside the
    index rebuild: at 10M lines they took 1.6 s of its wall. An export moved away after validation is no other
    version of it, and its validated rows load."""

    def __init__(
        self, validated: ValidatedExport, kind: ExportKind, checker: ThreadPoolExecutor, seconds: Counter[str]
    ) -> None:
        self._validated, self._kind, self._checker, self._seconds = validated, kind, checker, seconds
        self._before = checker.submit(self._confirm, after_load=False)
        self._after: Future[bool] | None = None

    def _confirm(self, *, after_load: bool) -> bool:
        """One check, its time added to the load's stages."""
        started = time.perf_counter()
        try:
            return self._validated.confirm_unchanged(self._kind, after_load=after_load)
        finally:
            self._seconds[CHECK_EXPORT] += time.perf_counter() - started

    def _confirm_after(self) -> bool:
        """Runs after the first check (one worker): the export, if still there, again; the first one's refusal wins."""
        return self._before.result() and self._confirm(after_load=True)

    def after_last(self, rows: Iterable[T]) -> Iterator[T]:
        """`rows`, the second check started once the last has been taken; a refusal by the first stops them at once,
        not at the load's end."""
        for row in rows:
            if self._before.done() and self._before.exception() is not None:
                self._before.result()
            yield row
        self._start_after()

    def _start_after(self) -> None:
        if self._after is None:
            self._after = self._checker.submit(self._confirm_after)

    def finish(self) -> None:
        """Wait for both checks, raising a refusal (inside the load's transaction: it rolls back)."""
        self._start_after()
        self._after.result()  # type: ignore[union-attr]

    @property
    def present(self) -> bool:
        """Whether the export was still where it was validated."""
        return self._before.result()


@contextmanager
def _unchanged_export(validated: ValidatedExport, kind: ExportKind, seconds: Counter[str]) -> Iterator[_ExportCheck]:
    """Around a load, inside its transaction: the export checked while it runs (`_ExportCheck`)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-check") as checker:
        check = _ExportCheck(validated, kind, checker, seconds)
        yield check
        check.finish()


def _source_metadata(validated: ValidatedExport, present: bool) -> dict[str, object]:
    """Which validated rows a load read, and whether their export is still where it was validated."""
    return {
        VALIDATED_RESULT_KEY: dg.MetadataValue.path(str(validated.result)),
        "export_present": present,
        "cleaning": cleaning_table(dict(validated.cleaning)),
    }


def _timed_frames(frames: Iterator[pd.DataFrame], seconds: Counter[str]) -> Iterator[pd.DataFrame]:
    """The frames, the time taken to read each going to `seconds[READ_RESULT]`."""
    started = time.perf_counter()
    for frame in frames:
        seconds[READ_RESULT] += time.perf_counter() - started
        yield frame
        started = time.perf_counter()


@dg.asset(
    deps=[clientes],
    metadata={
        "dagster/column_schema": column_schema(ESTOQUE.model, Estoque.__table__),
        "dagster/table_name": "estoque",
    },
    backfill_policy=SINGLE_RUN,
    kinds={"sql"},
    retry_policy=LOAD_RETRY,
)
def estoque(warehouse: Warehouse, estoque_raw: ValidatedExport) -> dg.MaterializeResult:
    """Inventory lines in the warehouse; a load replaces its snapshot date, older snapshots accumulate."""
    seconds: Counter[str] = Counter()
    snapshots = [d.to_pydatetime() for d in estoque_raw.dates]
    with (
        _retry_lost_connections(),
        warehouse.engine.begin() as conn,
        _unchanged_export(estoque_raw, ESTOQUE, seconds) as check,
    ):
        frames = _timed_frames(estoque_raw.frames(), seconds)
        chunks = batches(frames, Estoque.__table__, conn.dialect.name, seconds)
        written = replace_estoque(conn, snapshots, check.after_last(read_ahead(chunks, seconds)))
        total = row_count(conn, Estoque.__table__)
        preview = _preview(conn, Estoque.__table__, Estoque.data.in_(snapshots))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": total,
            "rows_loaded": written,
            "snapshots": markdown.bullets(d.date() for d in estoque_raw.dates),
            **_source_metadata(estoque_raw, check.present),
            "duplicate_lines": estoque_raw.duplicate_lines,
            "preview": preview,
            "warehouse": warehouse.display_url,
        }
    )


@dg.asset(
    deps=[clientes],
    metadata={
        "dagster/column_schema": column_schema(FATURAMENTO.model, Faturamento.__table__),
        "dagster/table_name": "faturamento",
    },
    partitions_def=monthly_partitions,
    backfill_policy=SINGLE_RUN,
    kinds={"sql"},
    retry_policy=LOAD_RETRY,
    output_required=False,  # each month is recorded by its own materialization below
)
def faturamento(
    context: dg.AssetExecutionContext, warehouse: Warehouse, faturamento_raw: ValidatedExport
) -> Iterator[dg.AssetMaterialization]:
    """Billing lines in the warehouse, by month; a run replaces its months atomically, reading the file once.

    Each month of a range is recorded with its own rows (`dagster/partition_row_count`) beside the table's total.
    """
    started = time.perf_counter()
    seconds: Counter[str] = Counter()
    start, end = month_window(context.partition_keys)
    incoming = faturamento_raw.rows_between(pd.Timestamp(start), pd.Timestamp(end))
    with (
        _retry_lost_connections(),
        warehouse.engine.begin() as conn,
        _unchanged_export(faturamento_raw, FATURAMENTO, seconds) as check,
    ):
        frames = _timed_frames(faturamento_raw.frames(start, end), seconds)
        chunks = batches(frames, Faturamento.__table__, conn.dialect.name, seconds, keep=in_window(start, end))
        counted = check.after_last(_logging_progress(read_ahead(chunks, seconds), incoming, context.log))
        load = replace_faturamento(conn, start, end, counted, incoming)
        previews = {key: _month_preview(conn, key) for key in context.partition_keys}
        total = row_count(conn, Faturamento.__table__)
        dialect = conn.dialect.name
    if load.bulk:
        seconds[REBUILD] += load.rebuild_seconds
    per_month = dict(faturamento_raw.rows_per_month)
    every_month = monthly_partitions.get_partition_keys(dynamic_partitions_store=context.instance)
    run = {
        "dagster/row_count": total,
        "rows_loaded_in_run": load.rows,
        "months_replaced": described(context.partition_keys),
        "months_kept": described([key for key in every_month if key not in context.partition_keys]),
        SOURCE_SHA256_KEY: faturamento_raw.profile.sha256,
        "load_method": BULK_METHOD if load.bulk else ROW_METHODS[dialect],
        **_source_metadata(faturamento_raw, check.present),
        "negative_weights_in_file": faturamento_raw.negative_weights,
        "zero_weights_in_file": faturamento_raw.zero_weights,
        "stage_seconds": markdown.table({k: round(v, 3) for k, v in seconds.items()}, "stage", "seconds"),
        "load_seconds": round(time.perf_counter() - started, 3),
        "warehouse": warehouse.display_url,
    }
    for key in context.partition_keys:
        yield dg.AssetMaterialization(
            asset_key=context.asset_key,
            partition=key,
            metadata={**run, "dagster/partition_row_count": per_month.get(key, 0), "preview": previews[key]},
        )
