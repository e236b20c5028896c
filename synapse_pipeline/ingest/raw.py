"""The raw assets: each ERP export profiled, cleaned and validated whole before anything is written.

Their blocking schema check stops a bad file here; what passes is kept as Parquet and handed to the loads as a
`ValidatedExport`: the text is parsed here only.
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta

import dagster as dg

from synapse_pipeline.ingest.checks import (
    export_check_specs,
    schema_check_result,
    unreadable_result,
    warning_results,
)
from synapse_pipeline.ingest.cleaning import cleaning_table, described_with_rules
from synapse_pipeline.ingest.kinds import ESTOQUE, FATURAMENTO, ExportError, ExportKind
from synapse_pipeline.ingest.partitions import SINGLE_RUN, add_month_partitions, described, months_spanned
from synapse_pipeline.ingest.reader import ExportReader
from synapse_pipeline.ingest.report import ExportReport
from synapse_pipeline.ingest.resources import ExportFiles
from synapse_pipeline.ingest.result import remove_others, result_path, results_folder, write_result
from synapse_pipeline.ingest.schemas import column_schema
from synapse_pipeline.ingest.validated import ValidatedExport
from synapse_pipeline.lib import markdown
from synapse_pipeline.lib.metadata_keys import EXPORT_PATH_KEY, SHA256_KEY
from synapse_pipeline.settings import TIMEZONE

ROWS_PER_MONTH_KEY = "rows_per_month"  # the faturamento months a validated file holds: what to load
VALIDATED_RESULT_KEY = "validated_result"  # the Parquet file of the valid rows, which the loads read
MONTHS_ADDED_KEY = "months_added"  # the monthly partitions this file was the first to bring
# A new export validated by 08:00 São Paulo time on weekdays, within the day before (the ERP exports nightly).
EXPORT_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 8 * * 1-5", lower_bound_delta=timedelta(hours=24), timezone=TIMEZONE
)


def _raw_metadata(report: ExportReport) -> dict[str, object]:
    """What the UI shows of a validated file: its profile, formats, cleaning and contents."""
    profile = report.profile
    months = report.months()
    return {
        EXPORT_PATH_KEY: dg.MetadataValue.path(str(profile.path)),
        "size_bytes": profile.size,
        SHA256_KEY: profile.sha256,
        "data_lines": profile.data_lines,
        "dagster/row_count": report.rows,
        "encoding": profile.encoding,
        "line_ending": profile.line_ending,
        "date_format": report.date_format,
        "decimal_separator": report.decimal,
        "cleaning": cleaning_table(report.cleaning),
        "duplicate_lines": report.duplicate_lines,
        "stage_seconds": markdown.table({k: round(v, 3) for k, v in report.stage_seconds.items()}, "stage", "seconds"),
        "clients": len(report.client_codes),
        "first_date": str(min(report.dates).date()),
        "last_date": str(max(report.dates).date()),
        ROWS_PER_MONTH_KEY: dg.MetadataValue.table(
            records=[dg.TableRecord({"month": month, "lines": lines}) for month, lines in sorted(months.items())],
            schema=dg.TableSchema(columns=[dg.TableColumn("month", "string"), dg.TableColumn("lines", "int")]),
        ),
    }


def _validate_export(
    context: dg.AssetExecutionContext,
    kind: ExportKind,
    export_files: ExportFiles,
    when_valid: Callable[[ValidatedExport], dict[str, object]] = lambda _: {},
) -> Iterator[dg.AssetCheckResult | dg.Output]:
    """Validate the whole file before anything is written, keeping its valid rows as the validated result the loads
    read; invalid data stops the run here. `when_valid` does what a valid file calls for and returns what it adds
    to the metadata."""
    folder = results_folder(context.instance)
    try:
        reader = ExportReader(export_files.find(kind), kind)
        result = result_path(folder, kind, reader.profile.sha256)
        valid = write_result(reader, result)
    except ExportError as error:
        yield unreadable_result(error)
        raise dg.Failure(description=str(error)) from error
    report = reader.report
    if not valid:
        yield schema_check_result(report)
        raise dg.Failure(description=report.error_message(), metadata={"failure_count": report.failure_total})
    # Only this result is pointed to from now on: the loads read the latest validation.
    superseded = remove_others(folder, kind, keep=result)
    # The output first: the checks then record this materialization as theirs, not the one before.
    validated = ValidatedExport.from_report(report, result)
    metadata = {**_raw_metadata(report), VALIDATED_RESULT_KEY: dg.MetadataValue.path(str(result))}
    metadata |= {"results_removed": len(superseded), **when_valid(validated)}
    yield dg.Output(validated, metadata=metadata)
    yield schema_check_result(report)
    yield from warning_results(kind, report)


@dg.asset(
    check_specs=export_check_specs(ESTOQUE, "estoque_raw"),
    metadata={"dagster/column_schema": column_schema(ESTOQUE.model)},
    backfill_policy=SINGLE_RUN,
    kinds={"csv", "pandera"},
    freshness_policy=EXPORT_FRESHNESS,
    description=described_with_rules(
        "The inventory export `estoque*.csv`, profiled, cleaned and validated against its pandera model."
    ),
)
def estoque_raw(
    context: dg.AssetExecutionContext, export_files: ExportFiles
) -> Iterator[dg.AssetCheckResult | dg.Output]:
    """Each line of the inventory export checked before any is written: a bad line must not reach the warehouse."""
    yield from _validate_export(context, ESTOQUE, export_files)


@dg.asset(
    check_specs=export_check_specs(FATURAMENTO, "faturamento_raw"),
    metadata={"dagster/column_schema": column_schema(FATURAMENTO.model)},
    backfill_policy=SINGLE_RUN,
    kinds={"csv", "pandera"},
    freshness_policy=EXPORT_FRESHNESS,
    description=described_with_rules(
        "The billing export `faturamento*.csv`, profiled, cleaned and validated against its pandera model."
    ),
)
def faturamento_raw(
    context: dg.AssetExecutionContext, export_files: ExportFiles
) -> Iterator[dg.AssetCheckResult | dg.Output]:
    """Each line of the billing export checked before any is written: a bad line must not reach the warehouse.

    A valid file's months, first to last, become `faturamento`'s and the reports' partitions.
    """

    def partitions_added(validated: ValidatedExport) -> dict[str, object]:
        months = months_spanned(month for month, _ in validated.rows_per_month)
        return {MONTHS_ADDED_KEY: described(add_month_partitions(context.instance, months))}

    yield from _validate_export(context, FATURAMENTO, export_files, partitions_added)


RAW_ASSETS = {ESTOQUE.name: estoque_raw.key, FATURAMENTO.name: faturamento_raw.key}


def billed_months(instance: dg.DagsterInstance) -> list[str]:
    """The faturamento partitions the last validated billing file fills, in order (none before a validation)."""
    event = instance.get_latest_materialization_event(RAW_ASSETS[FATURAMENTO.name])
    materialization = event.asset_materialization if event else None
    if materialization is None or ROWS_PER_MONTH_KEY not in materialization.metadata:
        return []
    return months_in(materialization.metadata)


def months_in(metadata: Mapping[str, dg.MetadataValue]) -> list[str]:
    """The faturamento partitions a validated billing file replaces (its first month to its last), from its
    materialization's rows_per_month table."""
    table = metadata[ROWS_PER_MONTH_KEY]
    return months_spanned(str(record.data["month"]) for record in table.records)  # type: ignore[attr-defined]
