"""Any list as an XLSX workbook (openpyxl): a header row, one row per item, frozen header."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response
from flask_babel import get_timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

__all__ = ["xlsx_response"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    if isinstance(value, datetime):  # Excel keeps no time zone: the local time, as the pages show it
        return (value.astimezone(get_timezone()) if value.tzinfo else value).replace(tzinfo=None)
    if isinstance(value, (int, float, date)) or value is None:
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # control characters a workbook cannot hold
    return "'" + text if text[:1] in "=+-@" else text  # never a formula from user data


def xlsx_response(filename: str, title: str, columns: Sequence[str], rows: Iterable[Sequence]) -> Response:
    book = Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "List"
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})
