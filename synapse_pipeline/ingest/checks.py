"""Asset checks of the raw exports: the blocking schema check and the warnings.

They are declared on the raw assets (`check_specs`) and evaluated while the file is validated, before any
write: a blocking `@asset_check` would only run after its asset's output had been stored.
"""

import dagster as dg

from synapse_pipeline.ingest.kinds import ExportError, ExportKind
from synapse_pipeline.ingest.report import ExportReport
from synapse_pipeline.lib import markdown

SCHEMA_CHECK = "schema"
DUPLICATE_LINES_CHECK = "duplicate_lines"
RETURNS_CHECK = "returns_and_zero_weights"
# The real files hold duplicates (0.3% of lines), returns (1%) and zero weights (0.6%): normal, counted and passed.
# Warn only well beyond that.
MAX_DUPLICATE_SHARE = 0.01
MAX_RETURN_SHARE, MAX_ZERO_SHARE = 0.03, 0.02

FAILURES_KEY = "failures"
FAILURE_COUNTS_KEY = "failures_per_rule"
FAILURE_TOTAL_KEY = "failure_count"


def export_check_specs(kind: ExportKind, asset: str) -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            SCHEMA_CHECK,
            asset=asset,
            blocking=True,
            description=f"Every line of the {kind.name} export obeys its pandera model; failures block the load.",
        ),
        dg.AssetCheckSpec(
            DUPLICATE_LINES_CHECK,
            asset=asset,
            description=f"Exact duplicate lines: real data, loaded and counted; warns above {MAX_DUPLICATE_SHARE:.0%} "
            "of the lines.",
        ),
    ]
    if kind.weight_column:
        specs.append(
            dg.AssetCheckSpec(
                RETURNS_CHECK,
                asset=asset,
                description="Negative (returns, credit notes) and zero weights: valid lines, counted; warns above "
                f"{MAX_RETURN_SHARE:.0%} negative or {MAX_ZERO_SHARE:.0%} zero.",
            )
        )
    return specs


def _failure_table(report: ExportReport) -> dg.TableMetadataValue:
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    "file": f.file,
                    "line": f.line or 0,
                    "column": f.column or "",
                    "rule": f.rule,
                    "value": f.value,
                }
            )
            for f in report.failures
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("file", "string"),
                dg.TableColumn("line", "int"),
                dg.TableColumn("column", "string"),
                dg.TableColumn("rule", "string"),
                dg.TableColumn("value", "string"),
            ]
        ),
    )


def schema_check_result(report: ExportReport) -> dg.AssetCheckResult:
    """Passed, or the first failures (file, line, column, rule, value) and a count per rule."""
    return dg.AssetCheckResult(
        check_name=SCHEMA_CHECK,
        passed=report.valid,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            FAILURE_TOTAL_KEY: report.failure_total,
            FAILURE_COUNTS_KEY: markdown.table(dict(report.failure_counts.most_common()), "column: rule", "values"),
            FAILURES_KEY: _failure_table(report),
        },
    )


def unreadable_result(error: ExportError) -> dg.AssetCheckResult:
    """The schema check of a file that could not even be parsed (header, delimiter, encoding, ...)."""
    return dg.AssetCheckResult(
        check_name=SCHEMA_CHECK,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={FAILURE_TOTAL_KEY: 1, "error": str(error)},
    )


def _share(count: int, report: ExportReport) -> float:
    return count / report.rows if report.rows else 0.0


def warning_results(kind: ExportKind, report: ExportReport) -> list[dg.AssetCheckResult]:
    """The counts the profile calls normal, passed unless unusually high (a WARN, never blocking)."""
    duplicates = _share(report.duplicate_lines, report)
    results = [
        dg.AssetCheckResult(
            check_name=DUPLICATE_LINES_CHECK,
            passed=duplicates <= MAX_DUPLICATE_SHARE,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{report.duplicate_lines:,} duplicate lines, {duplicates:.2%} of the file "
            f"(warns above {MAX_DUPLICATE_SHARE:.0%})",
            metadata={
                "duplicate_lines": report.duplicate_lines,
                "share": round(duplicates, 5),
                "first_duplicate_lines": ", ".join(map(str, report.duplicate_examples)) or "none",
            },
        )
    ]
    if kind.weight_column:
        negative, zero = _share(report.negative_weights, report), _share(report.zero_weights, report)
        results.append(
            dg.AssetCheckResult(
                check_name=RETURNS_CHECK,
                passed=negative <= MAX_RETURN_SHARE and zero <= MAX_ZERO_SHARE,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"{report.negative_weights:,} negative ({negative:.2%}) and {report.zero_weights:,} zero "
                f"({zero:.2%}) weights (warns above {MAX_RETURN_SHARE:.0%} and {MAX_ZERO_SHARE:.0%})",
                metadata={"negative_weights": report.negative_weights, "zero_weights": report.zero_weights},
            )
        )
    return results
