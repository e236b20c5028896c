"""A drawn chart as the report uses it: one PNG, inline as a `data:` URI in the stored HTML and the UI's preview,
attached by Content-ID in the mail. Apart from the drawing (`charts.py`), so that rendering and mailing a report
never import matplotlib: it costs every Dagster process 0.4 s at start."""

import base64
import io
from dataclasses import dataclass

from PIL import Image

PNG_COLOURS = 64


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its PNG and the CSS size the report shows it at."""

    title: str
    png: bytes
    width: int  # CSS pixels
    height: int

    @property
    def data_uri(self) -> str:
        """The PNG inline, for the stored HTML, which must stand alone (its `<img>` shows it at its CSS size)."""
        return _data_uri(self.png)

    @property
    def css_size_data_uri(self) -> str:
        """The same drawing scaled down to its CSS size, inline: the UI shows a markdown image at its natural size,
        where the full PNG would be half as large again as the report's chart."""
        scaled = Image.open(io.BytesIO(self.png)).convert("RGB").resize((self.width, self.height), Image.LANCZOS)
        return _data_uri(palette(scaled))


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def palette(image: Image.Image) -> bytes:
    """A palette PNG: a chart has a few flat colours, and 64 of them make it about 4x smaller than matplotlib's RGBA
    (mail size), with no visible change."""
    encoded = io.BytesIO()
    image.quantize(colors=PNG_COLOURS).save(encoded, format="png", optimize=True)
    return encoded.getvalue()
