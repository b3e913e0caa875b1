"""PDF responses: the stored bytes of a signed decision (with its SHA-256 as the ETag), or a
document rendered on request (minutes, certificates), served under a readable file name."""

from __future__ import annotations

import io
import re
import unicodedata

from flask import Response, send_file

__all__ = ["pdf_response", "file_name"]


def file_name(*parts: str) -> str:
    """'QD-1-QD-BTCTU.pdf' from ('QĐ', '1/QĐ-BTCTU'): ASCII letters, digits and dashes only."""
    text = "-".join(p for p in parts if p).replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return (re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "document") + ".pdf"


def pdf_response(data: bytes, name: str, *, etag: str | None = None, inline: bool = False) -> Response:
    response = send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name, as_attachment=not inline,
                         etag=etag or False, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
