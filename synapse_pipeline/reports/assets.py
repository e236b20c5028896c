"""The monthly report: rendered from the KPI and forecast tables, stored in `report` as `relatorio-mensal-YYYY-MM`."""

import hashlib
from collections.abc import Iterator, Mapping
from datetime import date, timedelta

import dagster as dg
from sqlalchemy import Connection, select

from synapse_pipeline.forecast.tables import FORECAST_TABLES
from synapse_pipeline.ingest.partitions import SINGLE_RUN, monthly_partitions
from synapse_pipeline.kpis.reconcile import all_disagreements
from synapse_pipeline.lib.metadata_keys import WITHDRAWN_KEY
from synapse_pipeline.reports.mail import mail_form
from synapse_pipeline.reports.model import MonthlyReport, report_name
from synapse_pipeline.reports.queries import monthly_report
from synapse_pipeline.reports.render import RENDERER_SHA256, render_report, report_markdown
from synapse_pipeline.reports.store import upsert_report, withdraw_report
from synapse_pipeline.settings import TIMEZONE
from synapse_pipeline.warehouse.models import Report, ReportEmail
from synapse_pipeline.warehouse.resource import Warehouse

RELATORIO_MENSAL = dg.AssetKey("relatorio_mensal")
REPORT_NAME_KEY = "report_name"
REPORT_ID_KEY = "report_id"
CONTENT_SHA256_KEY = "content_sha256"
FIGURES_SHA256_KEY = "figures_sha256"  # what the report shows; stale_reports_sensor compares it with the warehouse
RENDERER_SHA256_KEY = "renderer_sha256"  # the templates and drawing code it was rendered with
RENDERED_KEY = "rendered"
# The month just ended reported by 09:00 São Paulo time on the 1st: rendered since that day began (the schedule's
# 07:00 run, or the report sensor once the month's last billing arrives).
REPORT_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 9 1 * *", lower_bound_delta=timedelta(hours=9), timezone=TIMEZONE
)
REPORT_SOURCES = (
    "clientes",
    "giro_sku",
    "vendas_regiao",
    "mix_produto",
    "estoque_aging",
    "obsolescencia",
    *FORECAST_TABLES,
)


def recorded_metadata(instance: dg.DagsterInstance, month: str) -> Mapping[str, dg.MetadataValue]:
    """The metadata of the month's latest report materialization (empty: never rendered)."""
    result = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RELATORIO_MENSAL, asset_partitions=[month]), limit=1
    )
    materialization = result.records[0].asset_materialization if result.records else None
    return materialization.metadata if materialization else {}


def _unchanged(conn: Connection, report: MonthlyReport, recorded: Mapping[str, dg.MetadataValue]) -> bool:
    """Whether the stored report and its mail form are what rendering `report` again would give: the same figures,
    the same templates and code, and the stored content the one recorded (a restored backup may hold another)."""
    if any(key not in recorded for key in (FIGURES_SHA256_KEY, RENDERER_SHA256_KEY, CONTENT_SHA256_KEY)):
        return False
    if (recorded[FIGURES_SHA256_KEY].value, recorded[RENDERER_SHA256_KEY].value) != (
        report.figures_sha256(),
        RENDERER_SHA256,
    ):
        return False
    stored = conn.execute(
        select(Report.content).join(ReportEmail, ReportEmail.report_id == Report.id).where(Report.name == report.name)
    ).scalar_one_or_none()
    return stored is not None and hashlib.sha256(stored.encode()).hexdigest() == recorded[CONTENT_SHA256_KEY].value


def _rendered(conn: Connection, report: MonthlyReport) -> dict[str, object]:
    """Draw the month's charts once, store the report and its mail form, and return what the UI shows of it."""
    from synapse_pipeline.reports.charts import draw_charts  # matplotlib: imported by the steps that draw, only

    charts = draw_charts(report)
    html = render_report(report, charts)
    report_id = upsert_report(conn, report.name, html, mail_form(report, charts))
    current = report.current
    return {
        REPORT_NAME_KEY: report.name,
        REPORT_ID_KEY: report_id,
        RENDERED_KEY: True,
        CONTENT_SHA256_KEY: hashlib.sha256(html.encode()).hexdigest(),
        FIGURES_SHA256_KEY: report.figures_sha256(),
        RENDERER_SHA256_KEY: RENDERER_SHA256,
        "size_bytes": len(html.encode()),
        "net_tonnes": round(current.net_tonnes, 3),
        "gross_tonnes": round(current.gross_tonnes, 3),
        "returned_tonnes": round(-current.returns_tonnes, 3),  # as the report shows them: positive
        "lines": current.lines,
        "active_clients": current.active_clients,
        "stock_snapshot": str(report.stock.snapshot) if report.stock else "none",
        "preview": dg.MetadataValue.md(report_markdown(report, charts)),
    }


def _stored(warehouse: Warehouse, month: date, recorded: Mapping[str, dg.MetadataValue]) -> dict[str, object]:
    """Bring one month's stored report up to date in its own transaction and return its metadata: rendered again
    only when something it shows changed. A month with nothing billed (a correction emptied it) has no report: one
    stored before is withdrawn."""
    with warehouse.engine.begin() as conn:
        found = all_disagreements(conn)
        if found:
            raise dg.Failure(
                description=f"the KPI tables disagree with the loaded data ({len(found)} total(s)), so no report is "
                f"rendered until they are rebuilt: " + "; ".join(found[:5]),
                allow_retries=False,
            )
        report = monthly_report(conn, month)
        if report is None:
            withdraw_report(conn, report_name(month))
            return _withdrawn(month)
        if _unchanged(conn, report, recorded):
            return {**recorded, RENDERED_KEY: False}
        return _rendered(conn, report)


def _withdrawn(month: date) -> dict[str, object]:
    """What the UI shows of a month with nothing billed: no figures, so the report sensor asks nothing more of it."""
    return {
        REPORT_NAME_KEY: report_name(month),
        WITHDRAWN_KEY: f"nothing is billed in {month:%Y-%m}: no report (one stored before is deleted)",
        "net_tonnes": 0.0,
        "lines": 0,
    }


@dg.asset(
    partitions_def=monthly_partitions,
    deps=list(REPORT_SOURCES),
    kinds={"html"},
    metadata={"dagster/table_name": "report"},
    backfill_policy=SINGLE_RUN,
    freshness_policy=REPORT_FRESHNESS,
    output_required=False,  # each month is recorded by its own materialization below
)
def relatorio_mensal(context: dg.AssetExecutionContext, warehouse: Warehouse) -> Iterator[dg.AssetMaterialization]:
    """The month's HTML report for the distributor's staff (pt-BR), one `report` row per month, updated in place.

    A range of months renders in one run; each month is stored and recorded with its own metadata as it is done.
    """
    for key in context.partition_keys:
        metadata = _stored(warehouse, date.fromisoformat(key), recorded_metadata(context.instance, key))
        if metadata.get(RENDERED_KEY) is False:
            context.log.info(f"{metadata[REPORT_NAME_KEY]}: unchanged, not rendered again")
        yield dg.AssetMaterialization(asset_key=context.asset_key, partition=key, metadata=metadata)
