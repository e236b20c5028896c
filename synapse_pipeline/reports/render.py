"""A `MonthlyReport` as one pt-BR HTML document: inline SVG charts for the database, PNG `cid:` images for mail."""

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Literal

import matplotlib as mpl
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, PackageLoader, StrictUndefined
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from synapse_pipeline.lib import markdown
from synapse_pipeline.reports.model import Headline, MonthlyReport, StockSection, add_months

LOCALE = "pt_BR"
TEMPLATE = "relatorio_mensal.html.j2"
CHART_TREND, CHART_CLIENTS, CHART_MIX, CHART_AGING = "tendencia", "clientes", "mix", "aging"
NO_DATA, NOT_APPLICABLE = "sem dados", "—"

# Text drawn as glyph paths: the browser needs no font, and data text only reaches the SVG as an escaped comment.
# A fixed salt keeps the SVG ids stable; `$` in a client name is text, not mathtext.
_MATPLOTLIB_RC = {"svg.fonttype": "path", "svg.hashsalt": "synapse", "text.parse_math": False, "font.size": 9}
_ACCENT, _MUTED = "#1f4e79", "#a9bfd6"
_AGING_COLOURS = ("#4c956c", "#90a955", "#e9c46a", "#f4a261", "#c8553d")
_PNG_DPI = 150
_CSS_PX_PER_INCH = 96
_LABEL_WIDTH = 32
_FLAGS = {"reorder": "repor", "excess": "excesso", "no demand": "sem demanda", "rupture": "ruptura"}
_HEADLINE_FIGURES = (  # label, Headline field, decimals
    ("Líquido (t)", "net_tonnes", 2),
    ("Expedido bruto (t)", "gross_tonnes", 2),
    ("Devoluções (t)", "returns_tonnes", 2),
    ("Linhas", "lines", 0),
    ("Clientes ativos", "active_clients", 0),
)


@dataclass(frozen=True)
class RenderedReport:
    """The HTML document and, for mail, the images its `cid:` sources name."""

    html: str  # the complete HTML document
    images: dict[str, bytes]  # Content-ID -> PNG bytes; empty for the SVG flavour


@dataclass(frozen=True)
class _Comparison:
    """A headline figure of an earlier month, formatted: its value, the month's difference to it, the % change."""

    value: str
    difference: str
    change: str


@dataclass(frozen=True)
class _HeadlineRow:
    label: str
    current: str
    previous: _Comparison
    year_before: _Comparison


@dataclass(frozen=True)
class _Chart:
    """A chart as the template places it: inline SVG markup, or (PNG flavour, `svg` empty) a `cid:` image."""

    title: str
    svg: str
    width: int  # CSS pixels
    height: int


def _number(value: float, decimals: int = 2, *, signed: bool = False) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    rounded = round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0,00"
    if signed and rounded:
        pattern = f"+{pattern};-{pattern}"
    return format_decimal(rounded, format=pattern, locale=LOCALE)


def _count(value: int) -> str:
    return _number(value, 0)


def _percent(share: float, *, signed: bool = False) -> str:
    pattern = "#,##0.0%"
    rounded = round(share, 3) + 0.0
    if signed and rounded:
        pattern = f"+{pattern};-{pattern}"
    return format_percent(rounded, format=pattern, locale=LOCALE)


def _day(day: date) -> str:
    return format_date(day, format="dd/MM/y", locale=LOCALE)


def _month(month: date) -> str:
    return format_date(month, format="MMMM 'de' y", locale=LOCALE)


def _compare(current: float, other: Headline | None, field: str, decimals: int) -> _Comparison:
    """The change has the sign of the difference, also for returns (negative): relative to the other's magnitude."""
    if other is None:
        return _Comparison(NO_DATA, NOT_APPLICABLE, NOT_APPLICABLE)
    before = getattr(other, field)
    difference = current - before
    change = _percent(difference / abs(before), signed=True) if before else NOT_APPLICABLE
    return _Comparison(_number(before, decimals), _number(difference, decimals, signed=True), change)


def _headline_rows(report: MonthlyReport) -> list[_HeadlineRow]:
    rows = []
    for label, field, decimals in _HEADLINE_FIGURES:
        current = getattr(report.current, field)
        rows.append(
            _HeadlineRow(
                label,
                _number(current, decimals),
                _compare(current, report.previous, field, decimals),
                _compare(current, report.year_before, field, decimals),
            )
        )
    return rows


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_WIDTH else text[: _LABEL_WIDTH - 1] + "…"


def _axes_figure(width: float, height: float, title: str) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, loc="left", fontweight="bold")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _tonnes_axis(value: float, _position: int) -> str:
    return format_decimal(value, format="#,##0.##", locale=LOCALE)


def _trend_chart(report: MonthlyReport, title: str) -> Figure:
    figure = _axes_figure(8, 3, title)
    axes = figure.axes[0]
    months = [headline.month for headline in report.trend]
    colours = [_ACCENT if month == report.month else _MUTED for month in months]
    axes.bar(range(len(months)), [headline.net_tonnes for headline in report.trend], color=colours)
    labels = [f"{format_date(month, format='MMM', locale=LOCALE)}\n{month.year}" for month in months]
    axes.set_xticks(range(len(months)), labels=labels)
    axes.set_ylabel("t líquidas")
    axes.yaxis.set_major_formatter(FuncFormatter(_tonnes_axis))
    return figure


def _bars_chart(title: str, labels: list[str], tonnes: list[float]) -> Figure:
    """Horizontal bars, largest on top, each labelled with its tonnes."""
    figure = _axes_figure(8, 0.8 + 0.3 * len(labels), title)
    axes = figure.axes[0]
    bars = axes.barh(range(len(labels)), tonnes, color=_ACCENT)  # positions: equal names stay separate bars
    axes.set_yticks(range(len(labels)), labels=[_short(label) for label in labels])
    axes.bar_label(bars, labels=[_number(value) for value in tonnes], padding=3)
    axes.invert_yaxis()
    axes.set_xlabel("t líquidas")
    axes.xaxis.set_major_formatter(FuncFormatter(_tonnes_axis))
    axes.margins(x=0.15)
    return figure


def _aging_chart(stock: StockSection, title: str) -> Figure:
    figure = _axes_figure(8, 3, title)
    axes = figure.axes[0]
    colours = [_AGING_COLOURS[i % len(_AGING_COLOURS)] for i in range(len(stock.aging))]
    axes.bar(range(len(stock.aging)), [bucket.tonnes for bucket in stock.aging], color=colours)
    axes.set_xticks(range(len(stock.aging)), labels=[_short(bucket.bucket) for bucket in stock.aging])
    axes.set_xlabel("Idade (dias)")
    axes.set_ylabel("t")
    axes.yaxis.set_major_formatter(FuncFormatter(_tonnes_axis))
    return figure


def _mix_by_group(report: MonthlyReport) -> dict[str, float]:
    tonnes: dict[str, float] = defaultdict(float)
    for line in report.mix:
        tonnes[line.grupo] += line.net_tonnes
    return dict(sorted(tonnes.items(), key=lambda item: -item[1]))


def _figures(report: MonthlyReport) -> dict[str, tuple[str, Figure]]:
    """Chart name -> (title, figure), for the charts that have data."""
    figures: dict[str, tuple[str, Figure]] = {}
    if report.trend:
        title = f"Toneladas líquidas por mês (em destaque: {_month(report.month)})"
        figures[CHART_TREND] = (title, _trend_chart(report, title))
    if report.top_clients:
        title = "Maiores clientes"
        names = [client.nome for client in report.top_clients]
        figures[CHART_CLIENTS] = (title, _bars_chart(title, names, [c.net_tonnes for c in report.top_clients]))
    if report.mix:
        title = "Mix por grupo de produto"
        groups = _mix_by_group(report)
        figures[CHART_MIX] = (title, _bars_chart(title, list(groups), list(groups.values())))
    if report.stock is not None and report.stock.aging:
        title = "Envelhecimento do estoque por faixa de idade"
        figures[CHART_AGING] = (title, _aging_chart(report.stock, title))
    return figures


def _svg(figure: Figure, name: str) -> str:
    """The figure as an `<svg>` element, its ids prefixed with `name`: several charts share one HTML document."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # no XML declaration or DOCTYPE inside HTML
    return svg.replace(' id="', f' id="{name}-').replace('href="#', f'href="#{name}-').replace("url(#", f"url(#{name}-")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()


_ENV = Environment(
    loader=PackageLoader("synapse_pipeline.reports", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(t=_number, n=_count, pct=_percent, dia=_day)


def render_report(report: MonthlyReport, *, charts: Literal["svg", "png"] = "svg") -> RenderedReport:
    """The report as HTML: `svg` inlines the charts (self-contained, for the database), `png` attaches them (mail)."""
    if charts not in ("svg", "png"):
        raise ValueError(f"charts must be 'svg' or 'png', not {charts!r}")
    placed: dict[str, _Chart] = {}
    images: dict[str, bytes] = {}
    with mpl.rc_context(_MATPLOTLIB_RC):
        for name, (title, figure) in _figures(report).items():
            width, height = (round(inches * _CSS_PX_PER_INCH) for inches in figure.get_size_inches())
            if charts == "svg":
                placed[name] = _Chart(title, _svg(figure, name), width, height)
            else:
                images[name] = _png(figure)
                placed[name] = _Chart(title, "", width, height)
    stock = report.stock
    document = _ENV.get_template(TEMPLATE).render(
        report=report,
        title=f"Relatório mensal — {_month(report.month)}",
        month=_month(report.month),
        previous_month=_month(add_months(report.month, -1)),
        year_before_month=_month(add_months(report.month, -12)),
        headline=_headline_rows(report),
        charts=placed,
        regions=sorted(report.regions, key=lambda region: -region.net_tonnes),
        aging_tonnes=sum(bucket.tonnes for bucket in stock.aging) if stock else 0.0,
        flags=_FLAGS,
    )
    return RenderedReport(html=document, images=images)


def _md_comparison(comparison: _Comparison) -> str:
    return comparison.value if comparison.value == NO_DATA else f"{comparison.value} ({comparison.change})"


def report_markdown(report: MonthlyReport) -> str:
    """A short summary for Dagster's UI preview: the headline figures and the five largest clients."""
    month = _month(report.month)
    lines = [
        f"**Relatório mensal — {month}**",
        "",
        f"| Indicador | {month} | {_month(add_months(report.month, -1))} | {_month(add_months(report.month, -12))} |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in _headline_rows(report):
        lines.append(
            f"| {row.label} | {row.current} | {_md_comparison(row.previous)} | {_md_comparison(row.year_before)} |"
        )
    lines += ["", "**Maiores clientes**", ""]
    if report.top_clients:
        lines += ["| # | Cliente | t | Participação |", "| ---: | --- | ---: | ---: |"]
        for rank, client in enumerate(report.top_clients[:5], start=1):
            lines.append(
                f"| {rank} | {markdown.escape(client.nome)} | {_number(client.net_tonnes)} | {_percent(client.share)} |"
            )
    else:
        lines.append("Sem faturamento no mês.")
    return "\n".join(lines) + "\n"


def report_subject(report: MonthlyReport) -> str:
    return f"Relatório mensal — {_month(report.month)}"


def report_text(report: MonthlyReport) -> str:
    """The plain-text alternative of the email: headline figures and the largest clients, no markup."""
    lines = [report_subject(report), ""]
    for row in _headline_rows(report):
        lines.append(
            f"{row.label}: {row.current} (mês anterior: {row.previous.value}; há um ano: {row.year_before.value})"
        )
    lines += ["", "Maiores clientes:"]
    for rank, client in enumerate(report.top_clients[:5], start=1):
        name = " ".join(client.nome.split())
        lines.append(f"{rank}. {name}: {_number(client.net_tonnes)} t ({_percent(client.share)})")
    lines += ["", "O relatório completo, com os gráficos, está na versão HTML desta mensagem e no anexo."]
    return "\n".join(lines) + "\n"
