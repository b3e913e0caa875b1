"""Spreadsheet cells, both ways: a cell as the value its column holds (dates, whole numbers,
yes/no, lists written as ``a; b``), a value as a cell's text, and column letters."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

_INTS = {"year"}
_BOOLS = {"active"}
LISTS = {"members", "people", "units"}
DATES = {"starts", "ends", "submission_opens", "submission_closes", "valid_from", "valid_to", "awarded_on",
         "recognised_on", "decided_on"}
_TRUE = {"true", "yes", "y", "1", "x", "có", "co"}
_FALSE = {"false", "no", "n", "0", "không", "khong"}


def cell_text(cell: Any) -> str:
    """A cell's value as text: whole numbers without '.0', dates as YYYY-MM-DD."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def convert(name: str, cell: Any) -> Any:
    """A cell as the value its column holds (raises ValueError with a message for a person)."""
    if name in DATES:
        return cell.strip() if isinstance(cell, str) else cell
    if name in _INTS:
        whole = isinstance(cell, float) and cell.is_integer()
        return int(cell) if whole or (isinstance(cell, str) and re.fullmatch(r"\s*-?\d+\s*", cell)) else cell
    if name in _BOOLS:
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, (int, float)) and cell in (0, 1):
            return bool(cell)
        text = cell_text(cell).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"must be true or false (or yes/no), got {cell_text(cell)!r}")
    if name in LISTS:
        return [part.strip() for part in re.split(r"[;,\n]", cell_text(cell)) if part.strip()]
    return cell_text(cell)


def blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def letter(index: int) -> str:
    """The letter of the column at ``index`` (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

