"""The visible appearance of a signature: the signer's name, title, organisation and the signing
time inside a thin frame, optionally over the seal, drawn with ReportLab in the documents'
serif. (pyHanko's own text stamp misplaces glyphs of TrueType fonts whose em is not 1,000
units, which is the case of Liberation Serif.)"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.content import ImportedPdfPage
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.lib.colors import Color
from reportlab.lib.utils import simpleSplit

from .fonts import reportlab_serif, serif_canvas

__all__ = ["StampText", "stamp_style"]

SIZE = 8
FRAME = Color(0.6, 0.1, 0.1)


@dataclass(frozen=True)
class StampText:
    lines: tuple[str, ...]
    warning: str | None = None  # drawn in bold, e.g. that the key is a test key


class PdfBytesPage(ImportedPdfPage):
    """pyHanko's imported page, from bytes in memory rather than a file."""

    def __init__(self, data: bytes):
        super().__init__(file_name=None)
        self.data = data

    def render(self) -> bytes:
        from pyhanko.pdf_utils.layout import BoxConstraints

        reader = PdfFileReader(io.BytesIO(self.data))
        xobj = self._ensure_writer.import_page_as_xobject(reader, page_ix=0)
        name = "/Stamp"
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode("ascii") + b" Do"


def appearance(text: StampText, width: float, height: float, seal: Path | None = None) -> bytes:
    """A one-page PDF of exactly the signature box, with the text wrapped to fit."""
    fonts = reportlab_serif()
    buffer = io.BytesIO()
    canvas = serif_canvas(buffer, pagesize=(width, height))
    if seal is not None and seal.exists():  # the seal over the left third, as on paper
        side = min(height - 4, width / 3)
        canvas.drawImage(str(seal), 2, (height - side) / 2, side, side, mask="auto", preserveAspectRatio=True)
    canvas.setStrokeColor(FRAME)
    canvas.setLineWidth(1)
    canvas.rect(0.5, 0.5, width - 1, height - 1)
    lines = [(fonts["regular"], part) for line in text.lines
             for part in simpleSplit(line, fonts["regular"], SIZE, width - 12)]
    if text.warning:
        lines += [(fonts["bold"], part) for part in simpleSplit(text.warning, fonts["bold"], SIZE, width - 12)]
    leading = SIZE + 2
    y = (height + len(lines) * leading) / 2 - SIZE
    for font, line in lines:
        canvas.setFont(font, SIZE)
        canvas.drawString(6, y, line)
        y -= leading
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def stamp_style(text: StampText, box: tuple[float, float, float, float], seal: Path | None = None) -> StaticStampStyle:
    """pyHanko's stamp style showing ``text`` in a box of that size (llx, lly, urx, ury)."""
    width, height = box[2] - box[0], box[3] - box[1]
    return StaticStampStyle(background=PdfBytesPage(appearance(text, width, height, seal)), border_width=0)
