"""A `MonthlyReport` rendered from its Jinja templates: pt-BR HTML (charts inline for the database, by `cid:` for
mail), the markdown preview shown in Dagster's UI, and the email's subject and plain text; all from one drawing of
the charts."""

import hashlib
from importlib.metadata import version
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from synapse_pipeline.lib import markdown
from synapse_pipeline.lib.dates import add_months
from synapse_pipeline.reports.chart_image import Chart
from synapse_pipeline.reports.forecast_text import honesty, purchase_reason
from synapse_pipeline.reports.formatting import count, day, long_month, month_year, number, percent
from synapse_pipeline.reports.headline import NO_DATA, NOT_APPLICABLE, headline_rows
from synapse_pipeline.reports.model import MonthlyReport
from synapse_pipeline.reports.words import ACTIONS, DEMAND_CLASSES, MODELS, action_rule

HTML_TEMPLATE = "relatorio_mensal.html.j2"
MARKDOWN_TEMPLATE = "relatorio_mensal.md.j2"
TEXT_TEMPLATE = "relatorio_mensal.txt.j2"
# What a report's HTML depends on besides its figures: a stored report rendered with other templates or drawing code
# is rendered again, one rendered with these is not.
_RENDERING = (
    "templates/*.j2",
    "chart_image.py",
    "charts.py",
    "formatting.py",
    "forecast_text.py",
    "headline.py",
    "mail.py",
    "render.py",
    "words.py",
)
RENDERER_SHA256 = hashlib.sha256(
    b"".join(path.read_bytes() for pattern in _RENDERING for path in sorted(Path(__file__).parent.glob(pattern)))
    + version("matplotlib").encode()
).hexdigest()


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
    # The forecast stage's codes in the manager's words.
    environment.filters.update(metodo=MODELS.__getitem__, demanda=DEMAND_CLASSES.__getitem__, acao=ACTIONS.__getitem__)
    environment.filters.update(regra=action_rule)
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
        "honesty": honesty(report.forecast) if report.forecast else [],
        "purchase_reason": purchase_reason(report.forecast) if report.forecast else None,
        "aging_tonnes": sum(bucket.tonnes for bucket in report.stock.aging) if report.stock else 0.0,
    }


def render_report(report: MonthlyReport, charts: dict[str, Chart], *, attached: bool = False) -> str:
    """The report as a complete HTML document: the charts inline (self-contained, for the database), or `attached`
    by Content-ID (mail, whose readers often refuse `data:` images)."""
    sources = {name: f"cid:{name}" if attached else chart.data_uri for name, chart in charts.items()}
    return _HTML.get_template(HTML_TEMPLATE).render(_context(report), charts=charts, sources=sources)


def report_markdown(report: MonthlyReport, charts: dict[str, Chart]) -> str:
    """The whole report in markdown for Dagster's UI: every section's figures as tables, each chart above its table
    as a `data:` image at its CSS size (the UI shows markdown images, not HTML, at their natural size)."""
    sources = {name: chart.css_size_data_uri for name, chart in charts.items()}
    return _TEXT.get_template(MARKDOWN_TEMPLATE).render(_context(report), charts=sources)


def report_subject(report: MonthlyReport) -> str:
    partial = f" (parcial, até {day(report.partial_until)})" if report.partial_until else ""
    return f"Relatório mensal — {long_month(report.month)}{partial}"


def report_text(report: MonthlyReport) -> str:
    """The plain-text alternative of the email: headline figures and the largest clients, no markup."""
    return _TEXT.get_template(TEXT_TEMPLATE).render(_context(report))
