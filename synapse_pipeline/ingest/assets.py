"""The ERP exports as assets: validated raw files, then the client master and the two fact tables."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import dagster as dg
import pandas as pd
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import DBAPIError

from synapse_pipeline.ingest.checks import (
    export_check_specs,
    schema_check_result,
    unreadable_result,
    warning_results,
)
from synapse_pipeline.ingest.cleaning import CLEANING_RULES
from synapse_pipeline.ingest.exports import (
    ESTOQUE,
    FATURAMENTO,
    ExportError,
    ExportKind,
    ExportReader,
    ExportReport,
    ValidatedExport,
)
from synapse_pipeline.ingest.partitions import monthly_partitions
from synapse_pipeline.ingest.read_ahead import read_ahead
from synapse_pipeline.ingest.resources import ExportFiles
from synapse_pipeline.ingest.schemas import column_schema
from synapse_pipeline.lib import markdown
from synapse_pipeline.warehouse.copy import batches
from synapse_pipeline.warehouse.loads import add_clientes, in_window, replace_estoque, replace_faturamento, row_count
from synapse_pipeline.warehouse.models import Clientes, Estoque, Faturamento
from synapse_pipeline.warehouse.resource import Warehouse

SINGLE_RUN = dg.BackfillPolicy.single_run()
# A load that loses its connection rolled back whole: trying again is safe (see `_retry_lost_connections`).
LOAD_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL)
REBUILD = "rebuild indexes"
BULK_METHOD = "bulk: COPY without indexes and foreign keys, then built again"
ROW_METHOD = "COPY into the indexed table"


@contextmanager
def _retry_lost_connections() -> Iterator[None]:
    """Let only a lost connection reach the RetryPolicy; any other database error fails at once, rolled back."""
    try:
        yield
    except DBAPIError as error:
        if error.connection_invalidated:
            raise
        raise dg.Failure(description=f"load rolled back: {error.orig}", allow_retries=False) from error


def _raw_metadata(report: ExportReport) -> dict[str, object]:
    profile = report.profile
    months = report.months()
    return {
        "path": dg.MetadataValue.path(str(profile.path)),
        "size_bytes": profile.size,
        "sha256": profile.sha256,
        "data_lines": profile.data_lines,
        "dagster/row_count": report.rows,
        "encoding": profile.encoding,
        "line_ending": profile.line_ending,
        "date_format": report.date_format,
        "decimal_separator": report.decimal,
        "cleaning": dg.MetadataValue.json({rule: report.cleaning.get(rule, 0) for rule in CLEANING_RULES}),
        "cleaning_rules": dg.MetadataValue.json(CLEANING_RULES),
        "duplicate_lines": report.duplicate_lines,
        "clients": len(report.client_codes),
        "first_date": str(min(report.dates).date()),
        "last_date": str(max(report.dates).date()),
        "rows_per_month": dg.MetadataValue.json(dict(sorted(months.items()))),
    }


def _validate_export(kind: ExportKind, export_files: ExportFiles) -> Iterator[dg.AssetCheckResult | dg.Output]:
    """Validate the whole file before anything is written; invalid data stops the run here."""
    try:
        reader = ExportReader(export_files.find(kind), kind)
        report = reader.validate()
    except ExportError as error:
        yield unreadable_result(error)
        raise dg.Failure(description=str(error)) from error
    yield schema_check_result(report)
    if not report.valid:
        raise dg.Failure(description=report.error_message(), metadata={"failure_count": report.failure_total})
    yield from warning_results(kind, report)
    yield dg.Output(ValidatedExport.from_report(report), metadata=_raw_metadata(report))


@dg.asset(
    check_specs=export_check_specs(ESTOQUE, "estoque_raw"),
    metadata={"dagster/column_schema": column_schema(ESTOQUE.model)},
    backfill_policy=SINGLE_RUN,
    kinds={"csv", "pandera"},
)
def estoque_raw(export_files: ExportFiles) -> Iterator[dg.AssetCheckResult | dg.Output]:
    """The inventory export `estoque*.csv`, profiled, cleaned and validated against its pandera model."""
    yield from _validate_export(ESTOQUE, export_files)


@dg.asset(
    check_specs=export_check_specs(FATURAMENTO, "faturamento_raw"),
    metadata={"dagster/column_schema": column_schema(FATURAMENTO.model)},
    backfill_policy=SINGLE_RUN,
    kinds={"csv", "pandera"},
)
def faturamento_raw(export_files: ExportFiles) -> Iterator[dg.AssetCheckResult | dg.Output]:
    """The billing export `faturamento*.csv`, profiled, cleaned and validated against its pandera model."""
    yield from _validate_export(FATURAMENTO, export_files)


def _preview(conn: Connection, table: Table, *where: object) -> dg.MetadataValue:
    query = select(table).where(*where).limit(markdown.PREVIEW_ROWS)
    return markdown.preview(pd.DataFrame(conn.execute(query).mappings().all()))


@dg.asset(backfill_policy=SINGLE_RUN, kinds={"sql"}, retry_policy=LOAD_RETRY)
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
            "added": dg.MetadataValue.json({str(code): name for code, name in added}),
            "preview": preview,
            "warehouse": warehouse.display_url,
        }
    )


def _load_failed(reader: ExportReader) -> dg.Failure:
    return dg.Failure(description=f"load rolled back: {reader.report.error_message()}", allow_retries=False)


def _reopen(validated: ValidatedExport, kind: ExportKind) -> ExportReader:
    """The validated file again, as long as it is still the file that was validated."""
    try:
        return validated.open(kind)
    except ExportError as error:  # bad data: trying again cannot help
        raise dg.Failure(description=str(error), allow_retries=False) from error


@dg.asset(
    deps=[clientes],
    metadata={"dagster/column_schema": column_schema(ESTOQUE.model)},
    backfill_policy=SINGLE_RUN,
    kinds={"sql"},
    retry_policy=LOAD_RETRY,
)
def estoque(warehouse: Warehouse, estoque_raw: ValidatedExport) -> dg.MaterializeResult:
    """Inventory lines in the warehouse; a load replaces its snapshot date, older snapshots accumulate."""
    reader = _reopen(estoque_raw, ESTOQUE)
    snapshots = [d.to_pydatetime() for d in estoque_raw.dates]
    with _retry_lost_connections(), warehouse.engine.begin() as conn:
        chunks = batches(reader.chunks(), conn.dialect.name, reader.report.stage_seconds)
        written = replace_estoque(conn, snapshots, read_ahead(chunks, reader.report.stage_seconds))
        if not reader.report.valid:
            raise _load_failed(reader)
        total = row_count(conn, Estoque.__table__)
        preview = _preview(conn, Estoque.__table__, Estoque.data.in_(snapshots))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": total,
            "rows_loaded": written,
            "snapshots": dg.MetadataValue.json([str(d.date()) for d in estoque_raw.dates]),
            "cleaning": dg.MetadataValue.json(dict(reader.report.cleaning)),
            "duplicate_lines": estoque_raw.duplicate_lines,
            "preview": preview,
            "warehouse": warehouse.display_url,
        }
    )


@dg.asset(
    deps=[clientes],
    metadata={"dagster/column_schema": column_schema(FATURAMENTO.model)},
    partitions_def=monthly_partitions,
    backfill_policy=SINGLE_RUN,
    kinds={"sql"},
    retry_policy=LOAD_RETRY,
)
def faturamento(
    context: dg.AssetExecutionContext, warehouse: Warehouse, faturamento_raw: ValidatedExport
) -> dg.MaterializeResult:
    """Billing lines in the warehouse, by month; a run replaces its months atomically, reading the file once."""
    started = time.perf_counter()
    window = context.partition_time_window
    start: datetime = window.start.replace(tzinfo=None)
    end: datetime = window.end.replace(tzinfo=None)
    reader = _reopen(faturamento_raw, FATURAMENTO)
    report = reader.report
    incoming = faturamento_raw.rows_between(pd.Timestamp(start), pd.Timestamp(end))
    with _retry_lost_connections(), warehouse.engine.begin() as conn:
        chunks = batches(reader.chunks(), conn.dialect.name, report.stage_seconds, keep=in_window(start, end))
        load = replace_faturamento(conn, start, end, read_ahead(chunks, report.stage_seconds), incoming)
        if not report.valid:
            raise _load_failed(reader)
        preview = _preview(conn, Faturamento.__table__, Faturamento.data >= start, Faturamento.data < end)
    if load.bulk:
        report.stage_seconds[REBUILD] += load.rebuild_seconds
    per_month = {m[:7]: n for m, n in sorted(report.months().items()) if start <= pd.Timestamp(m) < end}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": load.rows,
            "months": f"{start:%Y-%m} .. {(end - pd.Timedelta(days=1)):%Y-%m}",
            "rows_per_month": dg.MetadataValue.json(per_month),
            "load_method": BULK_METHOD if load.bulk else ROW_METHOD,
            "cleaning": dg.MetadataValue.json(dict(report.cleaning)),
            "negative_weights_in_file": report.negative_weights,
            "zero_weights_in_file": report.zero_weights,
            "stage_seconds": dg.MetadataValue.json({k: round(v, 3) for k, v in report.stage_seconds.items()}),
            "load_seconds": round(time.perf_counter() - started, 3),
            "preview": preview,
            "warehouse": warehouse.display_url,
        }
    )
