"""Vietnamese text helpers: NFC normalisation, and search keys that ignore case and diacritics
(so "nguyen van tuan" finds "Nguyễn Văn Tuấn", in SQLite as in PostgreSQL)."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CONTROL_CHARACTERS", "nfc", "quoted", "search_key"]

_SPACES = re.compile(r"\s+")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""What no text may hold (tab and line breaks aside): PostgreSQL cannot store a NUL, and a
workbook cannot hold the others."""


def nfc(text: str) -> str:
    """The text in Unicode NFC (one code point per accented letter), trimmed."""
    return unicodedata.normalize("NFC", text).strip()


def search_key(text: str | None) -> str:
    """Lower case, without diacritics (đ → d), single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", plain).strip().lower()


def quoted(text: str, limit: int = 60) -> str:
    """``text`` in quotation marks for a message, cut short (…) when longer than ``limit``."""
    return f"“{text if len(text) <= limit else text[:limit - 1] + '…'}”"
