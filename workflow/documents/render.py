"""Rendering the decision: WeasyPrint lays out the body from the HTML template and CSS in
``definitions/documents/`` (PDF/A-3u); the annex comes from ``annex.py``; pypdf joins them.
The result says where the signature box sits, for the visible signature."""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML
from weasyprint.document import Document

from .annex import render_annex
from .content import DecisionContent
from .fonts import font_faces_css

__all__ = ["RenderedPdf", "render_decision", "render_html", "PX_TO_PT"]

log = logging.getLogger(__name__)
PX_TO_PT = 0.75  # WeasyPrint's CSS px → PDF points
A4_HEIGHT_PT = 841.89


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    signature_page: int  # 0-based
    signature_box: tuple[float, float, float, float]  # llx, lly, urx, ury in points


class Templates:
    """The HTML templates and CSS of one definitions folder (``documents/`` in it)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]))
        self._css: dict[str, CSS] = {}

    def css(self, name: str) -> list[CSS]:
        """The font faces of the documents' serif, then the stylesheet ``name``."""
        if name not in self._css:
            self._css[name] = CSS(filename=str(self.folder / name))
        return [faces(), self._css[name]]


@functools.cache
def faces() -> CSS:
    return CSS(string=font_faces_css())


_templates: dict[Path, Templates] = {}


def templates(folder: Path) -> Templates:
    if folder not in _templates:
        _templates[folder] = Templates(folder)
    return _templates[folder]


def render_html(folder: Path, template: str, css: str, **context) -> Document:
    t = templates(folder)
    html = t.env.get_template(template).render(**context)
    return HTML(string=html, base_url=str(folder)).render(stylesheets=t.css(css))


def _qr(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)


def render_decision(content: DecisionContent, folder: Path) -> RenderedPdf:
    """The decision's body pages followed by its annex, as one PDF."""
    content.qr = _qr(content.verify_url)
    document = render_html(folder, "decision.html", "official.css", d=content)
    body = document.write_pdf(pdf_variant="pdf/a-3u", uncompressed_pdf=False)
    found = next(((i, p.anchors["signature"]) for i, p in enumerate(document.pages) if "signature" in p.anchors),
                 None)
    if found is None:
        raise ValueError("decision.html has no element with id 'signature' (where the signature goes)")
    page_index, anchor = found
    x, y, right, bottom = anchor
    box = (x * PX_TO_PT, A4_HEIGHT_PT - bottom * PX_TO_PT, right * PX_TO_PT, A4_HEIGHT_PT - y * PX_TO_PT)
    pages = len(document.pages)
    if not content.groups:
        return RenderedPdf(body, pages, page_index, box)
    annex, annex_pages = render_annex(content, first_page=pages + 1)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(body)))
    writer.append(PdfReader(io.BytesIO(annex)))
    out = io.BytesIO()
    writer.write(out)
    return RenderedPdf(out.getvalue(), pages + annex_pages, page_index, box)
