"""The report's four matplotlib charts, each drawn once as a PNG that serves every form of the report: inline as a
`data:` URI in the stored HTML and the UI's preview, attached by Content-ID in the mail."""

import io
from collections import defaultdict

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from PIL import Image

from synapse_pipeline.reports.chart_image import Chart, palette
from synapse_pipeline.reports.formatting import long_month, number, short_month, tick
from synapse_pipeline.reports.model import MonthlyReport, StockSection

CHART_TREND, CHART_CLIENTS, CHART_MIX, CHART_AGING = "tendencia", "clientes", "mix", "aging"

# `$` in a client name is text, not mathtext.
_MATPLOTLIB_RC = {"text.parse_math": False, "font.size": 11}
_ACCENT, _MUTED = "#1f4e79", "#a9bfd6"
_AGING_COLOURS = ("#4c956c", "#90a955", "#e9c46a", "#f4a261", "#c8553d")
PNG_DPI = 150  # shown at CSS size by the `<img>`'s width: sharp on dense screens
CSS_PX_PER_INCH = 96
_LABEL_WIDTH = 32
# Charts are drawn at about 520 CSS px and never stretched wider: 11 pt text is 14.7 px on a desktop (the body's 14)
# and, shrunk to a 400 px phone, still over 10 px.
WIDTH_IN = 5.4


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_WIDTH else text[: _LABEL_WIDTH - 1] + "…"


def _axes_figure(width: float, height: float, title: str) -> Figure:
    """A figure with one axes, its title from the figure's left edge: over the axes alone (after the tick labels) a
    long title ran off the right ("Envelhecimento do estoque por faixa de ida")."""
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    figure.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize="large")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _tonnes_axis(value: float, _position: int) -> str:
    """matplotlib's tick formatter signature around the report's own tick labels."""
    return tick(value)


def _trend_chart(report: MonthlyReport, title: str) -> Figure:
    figure = _axes_figure(WIDTH_IN, 2.8, title)
    axes = figure.axes[0]
    months = [headline.month for headline in report.trend]
    colours = [_ACCENT if month == report.month else _MUTED for month in months]
    bars = axes.bar(range(len(months)), [headline.net_tonnes for headline in report.trend], color=colours)
    if report.partial_until is not None and months and months[-1] == report.month:
        # A month not over yet is no month to compare: drawn hollow and labelled, never as a slump.
        partial = bars[-1]
        partial.set(facecolor="white", edgecolor=_ACCENT, hatch="///", linewidth=1)
        axes.annotate(
            f"parcial\naté {report.partial_until:%d/%m}",
            (partial.get_x() + partial.get_width() / 2, partial.get_height()),
            xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize="small", color=_ACCENT,
        )  # fmt: skip
    # Thirteen months in about 520 px: the year only under January and the first month, labels slanted.
    labels = [
        f"{short_month(month)} {month.year}" if i == 0 or month.month == 1 else short_month(month)
        for i, month in enumerate(months)
    ]
    axes.set_xticks(range(len(months)), labels=labels, rotation=45, ha="right", rotation_mode="anchor")
    axes.set_ylabel("t líquidas")
    axes.yaxis.set_major_formatter(FuncFormatter(_tonnes_axis))
    return figure


def _bars_chart(title: str, labels: list[str], tonnes: list[float]) -> Figure:
    """Horizontal bars, largest on top, each labelled with its tonnes."""
    figure = _axes_figure(WIDTH_IN, 0.9 + 0.34 * len(labels), title)
    axes = figure.axes[0]
    bars = axes.barh(range(len(labels)), tonnes, color=_ACCENT)  # positions: equal names stay separate bars
    axes.set_yticks(range(len(labels)), labels=[_short(label) for label in labels])
    axes.bar_label(bars, labels=[number(value) for value in tonnes], padding=3)
    axes.invert_yaxis()
    axes.set_xlabel("t líquidas")
    axes.xaxis.set_major_formatter(FuncFormatter(_tonnes_axis))
    axes.margins(x=0.15)
    return figure


def _aging_chart(stock: StockSection, title: str) -> Figure:
    figure = _axes_figure(WIDTH_IN, 2.6, title)
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
        title = f"t líquidas por mês até {long_month(report.month)}"
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


def _png(figure: Figure) -> bytes:
    """The figure drawn as a palette PNG at PNG_DPI."""
    rendered = io.BytesIO()
    figure.savefig(rendered, format="png", dpi=PNG_DPI, metadata={"Software": None})
    rendered.seek(0)
    return palette(Image.open(rendered).convert("RGB"))


def draw_charts(report: MonthlyReport) -> dict[str, Chart]:
    """The charts that have data, by name (which is also their Content-ID in the mail), each drawn once."""
    charts: dict[str, Chart] = {}
    with mpl.rc_context(_MATPLOTLIB_RC):
        for name, (title, figure) in _figures(report).items():
            width, height = (round(inches * CSS_PX_PER_INCH) for inches in figure.get_size_inches())
            charts[name] = Chart(title, _png(figure), width, height)
    return charts
