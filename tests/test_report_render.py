"""The monthly report as HTML and markdown: pt-BR figures, every data value escaped, one drawing of the charts for
every form, and the stored HTML opened in a real headless Chromium."""

import base64
import html
import io
import json
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread
from matplotlib.text import Text
from PIL import Image

from synapse_pipeline.forecast.stock import ACTION_ORDER
from synapse_pipeline.reports import charts
from synapse_pipeline.reports.charts import CSS_PX_PER_INCH, PNG_DPI, WIDTH_IN, draw_charts
from synapse_pipeline.reports.mail import mail_form, parsed
from synapse_pipeline.reports.model import (
    AgingBucket,
    ClientShare,
    Headline,
    MixLine,
    MonthlyReport,
    ObsolescenceLine,
    RegionSales,
    SkuSituation,
    StockAdvice,
    StockSection,
)
from synapse_pipeline.reports.render import render_report, report_markdown

ALL_CHARTS = {"tendencia", "clientes", "mix", "aging"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "=cmd|' /C calc'!A0",
    "'); DROP TABLE faturamento;--",
    "--><script>alert(2)</script>",  # would close an HTML comment
    "US$ 5 $\\frac{1}{0}$ *negrito* [x](javascript:alert(3))",  # mathtext for matplotlib, markup for markdown
)
NO_SNAPSHOT = "Não há posição de estoque até o fim deste mês."


def _headline(month: date, net: float, returns: float, lines: int, clients: int) -> Headline:
    return Headline(month, net, net - returns, returns, lines, clients)


AUGUST = date(2025, 8, 1)
CURRENT = _headline(AUGUST, 1234.56, -12.3, 2345, 87)
TREND = [_headline(date(2024 + (7 + i) // 12, (7 + i) % 12 + 1, 1), 900.0 + 30 * i, -5.0, 2000, 80) for i in range(12)]

FULL = MonthlyReport(
    month=AUGUST,
    current=CURRENT,
    previous=_headline(date(2025, 7, 1), 1100.0, -10.0, 2200, 80),
    year_before=_headline(date(2024, 8, 1), 1300.0, -20.0, 2500, 90),
    trend=[*TREND, CURRENT],
    top_clients=[ClientShare("Aços Paraná Ltda", 154.32, 0.125)]
    + [ClientShare(name, 100.0 - 10 * i, 0.08 - 0.01 * i) for i, name in enumerate(HOSTILE)],
    regions=[
        RegionSales("PR", "São José dos Pinhais", 300.5, 400, 12),
        RegionSales(HOSTILE[1], HOSTILE[0], 500.25, 600, 20),
        RegionSales("SC", HOSTILE[2], 100.0, 90, 5),
        RegionSales(HOSTILE[5], HOSTILE[4], 50.0, 10, 1),
    ],
    mix=[
        MixLine(HOSTILE[3], "Bobina a frio 0,60 mm", 600.0, 0.486),
        MixLine(HOSTILE[0], HOSTILE[1], 400.0, 0.324),
        MixLine("Pré-pintado galvalume", HOSTILE[4], 234.56, 0.19),
    ],
    stock=StockSection(
        snapshot=date(2025, 8, 4),
        total_tonnes=5432.1,
        lots=321,
        average_age_weeks=12.34,
        aging=[
            AgingBucket("0-30", 2000.0, 120),
            AgingBucket("31-60", 1500.0, 90),
            AgingBucket("61-90", 900.0, 50),
            AgingBucket("91-180", 700.0, 40),
            AgingBucket(HOSTILE[2], 332.1, 21),
        ],
        advice=StockAdvice(
            snapshot=date(2025, 8, 4),
            excess_weeks=26.0,
            situations=[
                SkuSituation(action, skus, tonnes)
                for action, skus, tonnes in zip(
                    ACTION_ORDER, (1, 7, 3, 2, 4, 9), (0.0, 10.5, 90.0, 12.0, 40.0, 8.25), strict=True
                )
            ],
        ),
        obsolescence=[
            ObsolescenceLine(HOSTILE[1], HOSTILE[0], 80.0, 0.25),
            ObsolescenceLine("1001", "Tubos", 5.5, 0.05),
        ],
    ),
    generated_on=date(2025, 9, 5),
)
NO_HISTORY = replace(FULL, previous=None, year_before=None, stock=None)
DATA_PNG = "data:image/png;base64,"


def _page(report: MonthlyReport, *, attached: bool = False) -> str:
    """The report's HTML: its charts inline as stored, or `attached` by Content-ID as mailed."""
    return render_report(report, draw_charts(report), attached=attached)


def _markdown(report: MonthlyReport) -> str:
    return report_markdown(report, draw_charts(report))


class _Document(HTMLParser):
    """The elements (with their attributes) and the text of an HTML document, as `html.parser` reads it."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def plain_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def active_content(self) -> list[str]:
        """Script elements and event handler attributes: what escaping must keep out."""
        handlers = [name for _, attrs in self.elements for name in attrs if name.startswith("on")]
        return [tag for tag, _ in self.elements if tag == "script"] + handlers


def test_pt_br_formatting() -> None:
    page = _page(FULL)
    text = _Document(page).plain_text
    assert "<title>Relatório mensal — agosto de 2025</title>" in page
    assert "<h1>Relatório mensal — agosto de 2025</h1>" in page
    for expected in (
        "1.234,56",  # the month's net tonnes
        "12,30 10,00 +2,30 +23,0%",  # tonnes returned against July's: more returns read as more
        "julho de 2025",
        "agosto de 2024",
        "+134,56 +12,2%",  # against July: difference and change
        "-65,44 -5,0%",  # against August 2024
        "2.345",  # lines
        "12,5%",  # a client's share
        "Posição de 04/08/2025",
        "5.432,10 t em estoque",
        "12,3 semanas",
        "Gerado em 05/09/2025",
    ):
        assert expected in text, expected
    # The charts' ticks went through Babel too.
    with mpl.rc_context(charts._MATPLOTLIB_RC):
        _title, trend = charts._figures(FULL)["tendencia"]
        FigureCanvasAgg(trend).draw()
    axes = trend.axes[0]
    assert "ago." in [label.get_text() for label in axes.get_xticklabels()]
    assert "1.000" in [label.get_text() for label in axes.get_yticklabels()]


def test_months_without_data_say_so() -> None:
    page = _page(NO_HISTORY)
    text = _Document(page).plain_text
    assert text.count("sem dados") == 10  # five figures, two earlier months
    assert NO_SNAPSHOT in text
    assert page.count("<img") == 3
    assert draw_charts(NO_HISTORY).keys() == ALL_CHARTS - {"aging"}
    assert NO_SNAPSHOT not in _page(FULL)


@pytest.mark.parametrize("attached", [False, True], ids=["stored", "mailed"])
@pytest.mark.parametrize("report", [FULL, NO_HISTORY], ids=["full", "no-history"])
def test_every_data_value_is_escaped(report: MonthlyReport, attached: bool) -> None:
    document = _Document(_page(report, attached=attached))
    assert document.active_content() == []
    assert all((img["src"] or "").startswith("cid:" if attached else DATA_PNG) for img in document.tags("img"))
    text = document.plain_text
    for value in HOSTILE:
        assert value in text, value  # shown, as text


def test_the_stored_report_is_self_contained() -> None:
    page = _page(FULL)
    document = _Document(page)
    assert document.tags("link") == [] and document.tags("svg") == []
    references = [v for _, attrs in document.elements for k, v in attrs.items() if k in {"src", "href"}]
    assert len(references) == len(ALL_CHARTS) and all((ref or "").startswith(DATA_PNG) for ref in references)
    assert "url(" not in page
    assert _page(FULL) == page  # deterministic


def _inline_pngs(text: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)]


def test_one_drawing_of_the_charts_serves_the_stored_report_the_mail_and_the_ui() -> None:
    """Each chart is drawn once: the stored HTML, the mail's attachments and the UI's markdown carry the same bytes."""
    drawn = draw_charts(FULL)
    assert drawn.keys() == ALL_CHARTS and all(chart.png.startswith(PNG_SIGNATURE) for chart in drawn.values())
    pngs = [chart.png for chart in drawn.values()]
    assert _inline_pngs(render_report(FULL, drawn)) == pngs
    # The UI shows a markdown image at its natural size: the same drawing, scaled down to the report's CSS size.
    previews = [Image.open(io.BytesIO(png)) for png in _inline_pngs(report_markdown(FULL, drawn))]
    assert [preview.size for preview in previews] == [(chart.width, chart.height) for chart in drawn.values()]
    mail = parsed(mail_form(FULL, drawn))
    html_part = mail.get_body(preferencelist=("html",))
    sources = [img["src"] for img in _Document(html_part.get_content()).tags("img")]
    assert sources == [f"cid:{name}" for name in drawn]
    attached = {
        part["Content-ID"]: part.get_content() for part in mail.walk() if part.get_content_type() == "image/png"
    }
    assert attached == {f"<{name}>": chart.png for name, chart in drawn.items()}


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def _unescape_markdown(cell: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", cell))


def test_markdown_summary() -> None:
    markdown = _markdown(FULL)
    assert "agosto de 2025" in markdown and "1.234,56" in markdown and "1.100,00 (+12,2%)" in markdown
    assert "sem dados" in _markdown(NO_HISTORY)


def test_markdown_keeps_data_as_text() -> None:
    markdown = _markdown(FULL)
    assert "<" not in markdown and ">" not in markdown  # no raw HTML: the data's brackets are entities
    tables = re.findall(r"((?:^\|.*\n)+)", markdown, flags=re.MULTILINE)
    assert len(tables) >= 6  # headline, trend, clients, regions, mix, aging
    for table in tables:  # no `|` from the data splits a cell
        rows = table.splitlines()
        assert {len(_cells(row)) for row in rows} == {len(_cells(rows[0]))}, table
    clients = markdown.split("**Maiores clientes**")[1].split("**Regiões**")[0]
    names = [_cells(row)[1] for row in clients.splitlines() if row.startswith("|")][2:]
    assert [_unescape_markdown(name) for name in names] == [client.nome for client in FULL.top_clients]
    for name in names:  # every markdown-active character escaped
        assert not re.search(r"[*_`\[\]()|!#~-]", re.sub(r"\\.|&\w+;", "", name)), name


def test_markdown_is_the_whole_report() -> None:
    markdown = _markdown(FULL)
    for section in ("**Tendência", "**Maiores clientes**", "**Regiões**", "**Mix de produtos**", "**Estoque**"):
        assert section in markdown, section
    assert "Posição de 04/08/2025: 5.432,10 t" in markdown and "São José dos Pinhais" in markdown
    images = re.findall(r"!\[([^\]]+)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert [alt for alt, _ in images] == [
        "Gráfico da tendência",
        "Gráfico dos maiores clientes",
        "Gráfico do mix por grupo",
        "Gráfico do envelhecimento do estoque",
    ]
    for _, data in images:  # each as wide as the report's chart (518 CSS px), though drawn at PNG_DPI (810 px)
        png = base64.b64decode(data)
        assert png.startswith(PNG_SIGNATURE)
        assert Image.open(io.BytesIO(png)).width == round(WIDTH_IN * CSS_PX_PER_INCH) == 518
    assert {chart.png[:8] for chart in draw_charts(FULL).values()} == {PNG_SIGNATURE}
    assert Image.open(io.BytesIO(draw_charts(FULL)["tendencia"].png)).width == round(WIDTH_IN * PNG_DPI) == 810
    no_clients = _markdown(replace(FULL, top_clients=[]))
    assert "Sem faturamento no mês." in no_clients and "Gráfico dos maiores clientes" not in no_clients


# Chromium, headless. Its stderr is mostly its own noise on a machine without a desktop (dbus, vaapi/GPU, sandbox,
# ScreenSaver; Debian's launcher script complaining about its /dev/shm test): we read only the lines about the page,
# those of its console (`:CONSOLE`, which also carries uncaught exceptions) and any naming the page's URL.
CHROMIUM = "chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--enable-logging=stderr",
    "--v=0",
]
# Added to a copy of the report only (the report itself has no script): measures each chart once laid out, and lists
# every resource the page fetched.
PROBE = (
    f"<script>\nconst CHART_FONT_PT = 11, PNG_DPI = {PNG_DPI};"
    + """
addEventListener("load", () => {
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    charts: [...document.querySelectorAll("figure.chart > img")].map((img) => {
      const box = img.getBoundingClientRect();
      return [box.width, box.height];
    }),
    resources: performance.getEntriesByType("resource").map((entry) => entry.name),
    viewport: innerWidth,
    // Every element's right edge.
    widest: Math.max(...[...document.querySelectorAll("body *")].map((e) => e.getBoundingClientRect().right)),
    scrollWidth: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    // Chart text: its size in the PNG's pixels times how much the page scaled the PNG.
    chartTextPx: [...document.querySelectorAll("figure.chart > img")].map(
      (img) => (((CHART_FONT_PT * PNG_DPI) / 72) * img.getBoundingClientRect().width) / img.naturalWidth,
    ),
  });
  top.document.body.append(probe);  // the top page's, when the report is framed at a phone's width
});
</script>"""
)
# Fills that only the charts paint (the CSS uses none of them): the trend's other months, the aging's first bucket.
CHART_FILLS = ("#a9bfd6", "#4c956c")


def _chromium(page: Path, profile: Path, *options: str) -> str:
    """The page's DOM after loading, failing on any console message of the page."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail("chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    run = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *options, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=20,  # an alert() from an unescaped script would block the page until then
    )
    assert run.returncode == 0, run.stderr[-3000:]
    about_page = [line for line in run.stderr.splitlines() if ":CONSOLE" in line or page.as_uri() in line]
    assert about_page == [], "\n".join(about_page)
    return run.stdout


def _painted(pixels: np.ndarray, colour: str) -> int:
    """How many pixels of the screenshot have exactly this colour (±1 of 255 per channel)."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return int((abs(pixels[..., :3] - rgb) < 1.5 / 255).all(axis=-1).sum())


@pytest.mark.slow  # headless Chromium: out of the fast lane
def test_chromium_renders_the_report(tmp_path: Path) -> None:
    page = _page(FULL)
    report, probed, screenshot = tmp_path / "relatorio.html", tmp_path / "probe.html", tmp_path / "relatorio.png"
    report.write_text(page, encoding="utf-8")
    probed.write_text(page.replace("</body>", f"{PROBE}</body>"), encoding="utf-8")

    dom = _Document(_chromium(report, tmp_path / "profile", "--window-size=1200,4000", f"--screenshot={screenshot}"))
    assert "Relatório mensal — agosto de 2025" in dom.plain_text
    assert len(dom.tags("img")) == len(ALL_CHARTS)
    assert dom.active_content() == []  # the hostile names stayed text in the browser too

    pixels = imread(screenshot)
    assert pixels.shape[:2] == (4000, 1200)
    assert pixels.std() > 0.05  # not a blank page
    assert all(_painted(pixels, fill) > 1000 for fill in CHART_FILLS)

    desktop = _probe(probed, tmp_path / "probe-1200", 1200)
    assert len(desktop["charts"]) == len(ALL_CHARTS)
    assert all(width > 300 and height > 100 for width, height in desktop["charts"])
    assert desktop["resources"] == []  # nothing fetched: no CDN, font or image
    assert min(desktop["chartTextPx"]) >= 14  # as large as the body text (14 px)


@pytest.mark.slow  # headless Chromium: out of the fast lane
def test_on_a_400_px_phone_nothing_is_wider_than_the_screen_and_chart_text_is_readable(tmp_path: Path) -> None:
    """Chromium's windows are at least 500 px wide: the report is laid out in a 400 px frame (its own viewport)."""
    page = _page(FULL).replace("</body>", f"{PROBE}</body>")
    framed = tmp_path / "phone.html"
    framed.write_text(
        f'<!DOCTYPE html><html><body style="margin:0"><iframe srcdoc="{html.escape(page)}" width="400" '
        'height="2800" style="border:0;display:block"></iframe></body></html>',
        encoding="utf-8",
    )
    phone = _probe(framed, tmp_path / "probe-400", 600)
    assert phone["viewport"] == 400
    assert phone["widest"] <= 400 and phone["scrollWidth"] <= 400, phone  # the page does not scroll sideways
    assert min(phone["chartTextPx"]) >= 10, phone["chartTextPx"]


@pytest.mark.slow  # headless Chromium: out of the fast lane
def test_at_the_600_px_of_a_mail_window_the_report_is_no_longer_than_on_a_desktop(tmp_path: Path) -> None:
    """Mail is read about 600 px wide: the tables keep their columns there (they stack only on a phone), so the
    mail is not twice as long as the report on a desktop."""
    probed = tmp_path / "mail.html"
    probed.write_text(_page(FULL).replace("</body>", f"{PROBE}</body>"), encoding="utf-8")
    mail, desktop = _probe(probed, tmp_path / "probe-600", 600), _probe(probed, tmp_path / "probe-1200", 1200)
    assert mail["viewport"] == 600 and mail["scrollWidth"] <= 600, mail  # nothing wider than the window
    assert mail["height"] <= 1.2 * desktop["height"], (mail["height"], desktop["height"])


def _probe(page: Path, profile: Path, width: int) -> dict:
    """The probe's measures of the page laid out in a window `width` CSS px wide."""
    probe = re.search(r'<pre id="probe">(.*?)</pre>', _chromium(page, profile, f"--window-size={width},3000"))
    assert probe, "the probe did not run"
    return json.loads(html.unescape(probe[1]))


def test_a_partial_month_says_so_and_is_not_compared_with_whole_months() -> None:
    partial = replace(FULL, partial_until=date(2025, 8, 1))
    page = _page(partial)
    text = _Document(page).plain_text
    assert "<h1>Relatório mensal — agosto de 2025 (parcial, até 01/08/2025)</h1>" in page
    assert "Mês parcial: faturamento até 01/08/2025" in text
    assert "+12,2%" not in text and "-5,0%" not in text  # the whole-month comparisons of FULL
    assert "1.234,56 1.100,00 — — 1.300,00 — —" in text  # the earlier months' values, without variations
    assert "+12,2%" in _Document(_page(FULL)).plain_text


def _trend_texts(report: MonthlyReport) -> list[str]:
    with mpl.rc_context(charts._MATPLOTLIB_RC):
        _title, trend = charts._figures(report)["tendencia"]
    return [text.get_text() for text in trend.findobj(Text)]


def test_the_trend_marks_a_partial_month_as_partial() -> None:
    """A month that has barely begun is drawn hollow and labelled, so its short bar does not read as a slump."""
    partial = replace(FULL, partial_until=date(2025, 8, 1))
    assert "parcial\naté 01/08" in _trend_texts(partial)
    assert not any("parcial" in text for text in _trend_texts(FULL))


def test_every_chart_title_fits_inside_its_chart() -> None:
    """February has the longest month name; the stock chart the longest fixed title."""
    february = replace(FULL, month=date(2025, 2, 1))
    with mpl.rc_context(charts._MATPLOTLIB_RC):
        figures = charts._figures(february)
        assert len(figures) == 4
        for name, (title, figure) in figures.items():
            renderer = FigureCanvasAgg(figure).get_renderer()
            figure.draw(renderer)
            (drawn,) = [text for text in figure.findobj(Text) if text.get_text() == title]
            extent = drawn.get_window_extent(renderer)
            assert extent.x0 >= 0 and extent.x1 <= figure.bbox.x1, (name, title, extent)
