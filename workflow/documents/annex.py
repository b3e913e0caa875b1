"""The annex of a decision: numbered tables of awardees, laid out with ReportLab.

WeasyPrint takes 8–11 s here for a table of 1,000 four-column rows (it lays out every cell
as boxes in Python); ReportLab's table takes well under a second, so the annex pages are
made with it and appended to the WeasyPrint pages (see ``bench/pdf.py`` for the figures).
Cells are plain strings, broken into lines here (ReportLab's paragraphs cost ten times more).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .content import DecisionContent
from .fonts import reportlab_serif, serif_canvas

__all__ = ["render_annex"]

MARGINS = {"left": 30 * mm, "right": 15 * mm, "top": 20 * mm, "bottom": 20 * mm}
SIZE = 12


def _cell(text: str, width: float) -> str:
    """The text broken into the lines that fit the column (plain strings: no paragraph layout)."""
    if pdfmetrics.stringWidth(text, "Serif-regular", SIZE) <= width - 8:
        return text
    return "\n".join(simpleSplit(text, "Serif-regular", SIZE, width - 8))


def render_annex(content: DecisionContent, first_page: int) -> tuple[bytes, int]:
    """The annex pages as PDF bytes (numbered from ``first_page``, at the top centre), and
    how many there are."""
    reportlab_serif()
    usable = A4[0] - MARGINS["left"] - MARGINS["right"]
    title = ParagraphStyle("title", fontName="Serif-bold", fontSize=13, leading=16, alignment=TA_CENTER)
    caption = ParagraphStyle("caption", fontName="Serif-italic", fontSize=13, leading=16, alignment=TA_CENTER)
    columns = content.annex_columns
    story = []
    for index, group in enumerate(content.groups):
        if index:
            story.append(PageBreak())
        story += [Paragraph(escape(group.annex_title), title), Paragraph(escape(content.annex_caption), caption),
                  Spacer(1, 6 * mm)]
        if group.subject == "individual":
            widths = [usable * .08, usable * .30, usable * .27, usable * .35]
            header = [columns.get("number", "STT"), columns.get("name", ""), columns.get("position", ""),
                      columns.get("unit", "")]
            rows = [[str(i), _cell(a.name, widths[1]), _cell(a.position, widths[2]),
                     _cell(a.unit, widths[3])] for i, a in enumerate(group.awardees, 1)]
        else:
            widths = [usable * .08, usable * .50, usable * .42]
            header = [columns.get("number", "STT"), columns.get("collective", ""), columns.get("unit", "")]
            rows = [[str(i), _cell(a.name, widths[1]), _cell(a.unit, widths[2])]
                    for i, a in enumerate(group.awardees, 1)]
        table = Table([header] + rows, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), "Serif-regular", SIZE, SIZE + 2), ("FONT", (0, 0), (-1, 0), "Serif-bold", SIZE, SIZE + 2),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (0, 0), (0, -1), "CENTER"), ("ALIGN", (0, 0), (-1, 0), "CENTER")]))
        story.append(table)

    def number(canvas, doc) -> None:
        canvas.setFont("Serif-regular", 13)
        centre = MARGINS["left"] + usable / 2
        canvas.drawCentredString(centre, A4[1] - 12 * mm, str(first_page + doc.page - 1))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGINS["left"], rightMargin=MARGINS["right"],
                            topMargin=MARGINS["top"], bottomMargin=MARGINS["bottom"],
                            title=content.annex_caption, author="Laurel")
    doc.build(story, onFirstPage=number, onLaterPages=number, canvasmaker=serif_canvas)
    return buffer.getvalue(), doc.page
