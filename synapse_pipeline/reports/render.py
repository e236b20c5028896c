"""A `MonthlyReport` rendered from its Jinja templates: pt-BR HTML (inline SVG charts for the database, PNG `cid:`
images for mail), the markdown preview shown in Dagster's UI, and the email's subject and plain text."""

import base64
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from synapse_pipeline.lib import markdown
from synapse_pipeline.lib.dates import add_months
from synapse_pipeline.reports.charts import CSS_PX_PER_INCH, draw_charts
from synapse_pipeline.reports.formatting import count, day, long_month, month_year, number, percent
from synapse_pipeline.reports.headline import NO_DATA, NOT_APPLICABLE, headline_rows
from synapse_pipeline.reports.model import MonthlyReport

HTML_TEMPLATE = "relatorio_mensal.html.j2"
MARKDOWN_TEMPLATE = "relatorio_mensal.md.j2"
TEXT_TEMPLATE = "relatorio_mensal.txt.j2"
_FLAGS = {"reorder": "repor", "excess": "excesso", "no demand": "sem demanda", "rupture": "ruptura"}


@dataclass(frozen=True)
class RenderedReport:
    """The HTML document and, for mail, the images its `cid:` sources name."""

    html: str  # the complete HTML document
    images: dict[str, bytes]  # Content-ID -> PNG bytes; empty for the SVG flavour


def _environment(*, autoescape: bool, keep_trailing_newline: bool) -> Environment:
    environment = Environment(
        loader=PackageLoader("synapse_pipeline.reports", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
    environment.filters.update(t=number, n=count, pct=percent, dia=day, mes=long_month, mes_curto=month_year)
    return environment


_HTML = _environment(autoescape=True, keep_trailing_newline=False)
# Markdown and plain text are not HTML: HTML-escaping would garble them. Markdown escapes its data values with |md.
_TEXT = _environment(autoescape=False, keep_trailing_newline=True)
_TEXT.filters.update(md=markdown.escape)
_TEXT.globals.update(no_data=NO_DATA, not_applicable=NOT_APPLICABLE)


def _context(report: MonthlyReport) -> dict[str, Any]:
    """What every template shows: the title, the three months compared and the headline figures."""
    return {
        "report": report,
        "title": report_subject(report),
        "month": long_month(report.month),
        "previous_month": long_month(add_months(report.month, -1)),
        "year_before_month": long_month(add_months(report.month, -12)),
        "headline": headline_rows(report),
        "regions": sorted(report.regions, key=lambda region: -region.net_tonnes),
    }


def render_report(report: MonthlyReport, *, charts: Literal["svg", "png"] = "svg") -> RenderedReport:
    """The report as HTML: `svg` inlines the charts (self-contained, for the database), `png` attaches them (mail)."""
    if charts not in ("svg", "png"):
        raise ValueError(f"charts must be 'svg' or 'png', not {charts!r}")
    placed, images = draw_charts(report, charts)
    stock = report.stock
    document = _HTML.get_template(HTML_TEMPLATE).render(
        _context(report),
        charts=placed,
        aging_tonnes=sum(bucket.tonnes for bucket in stock.aging) if stock else 0.0,
        flags=_FLAGS,
    )
    return RenderedReport(html=document, images=images)


def report_markdown(report: MonthlyReport) -> str:
    """The whole report in markdown for Dagster's UI: every section's figures as tables, each chart above its table
    as a palette PNG in a `data:` URI (the UI shows markdown images; it would not run the HTML's inline SVG)."""
    _placed, images = draw_charts(report, "png", png_dpi=CSS_PX_PER_INCH)
    charts = {name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in images.items()}
    return _TEXT.get_template(MARKDOWN_TEMPLATE).render(_context(report), charts=charts)


def report_subject(report: MonthlyReport) -> str:
    partial = f" (parcial, até {day(report.partial_until)})" if report.partial_until else ""
    return f"Relatório mensal — {long_month(report.month)}{partial}"


def report_text(report: MonthlyReport) -> str:
    """The plain-text alternative of the email: headline figures and the largest clients, no markup."""
    return _TEXT.get_template(TEXT_TEMPLATE).render(_context(report))
