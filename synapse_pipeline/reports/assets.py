"""The monthly report: rendered from the KPI tables and stored in `report` as `relatorio-mensal-YYYY-MM`."""

import hashlib
from datetime import date

import dagster as dg

from synapse_pipeline.ingest.partitions import monthly_partitions
from synapse_pipeline.reports.queries import monthly_report
from synapse_pipeline.reports.render import render_report, report_markdown
from synapse_pipeline.reports.store import upsert_report
from synapse_pipeline.warehouse.resource import Warehouse

REPORT_NAME_KEY = "report_name"
REPORT_ID_KEY = "report_id"
CONTENT_SHA256_KEY = "content_sha256"
REPORT_SOURCES = (
    "clientes",
    "giro_sku",
    "vendas_regiao",
    "mix_produto",
    "estoque_aging",
    "cobertura_estoque",
    "obsolescencia",
)


@dg.asset(partitions_def=monthly_partitions, deps=list(REPORT_SOURCES), kinds={"html"})
def relatorio_mensal(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The month's HTML report for the distributor's staff (pt-BR), one `report` row per month, updated in place."""
    month = date.fromisoformat(context.partition_key)
    with warehouse.engine.begin() as conn:
        report = monthly_report(conn, month)
        if report is None:
            raise dg.Failure(description=f"nothing was billed in {month:%Y-%m}: there is no report to make")
        html = render_report(report, charts="svg").html
        report_id = upsert_report(conn, report.name, html)
    current = report.current
    return dg.MaterializeResult(
        metadata={
            REPORT_NAME_KEY: report.name,
            REPORT_ID_KEY: report_id,
            CONTENT_SHA256_KEY: hashlib.sha256(html.encode()).hexdigest(),
            "size_bytes": len(html.encode()),
            "net_tonnes": round(current.net_tonnes, 3),
            "gross_tonnes": round(current.gross_tonnes, 3),
            "returns_tonnes": round(current.returns_tonnes, 3),
            "lines": current.lines,
            "active_clients": current.active_clients,
            "stock_snapshot": str(report.stock.snapshot) if report.stock else "none",
            "preview": dg.MetadataValue.md(report_markdown(report)),
        }
    )
