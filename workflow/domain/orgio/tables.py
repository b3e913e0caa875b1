"""Sections written as tables (a workbook's sheets or CSV files): a grid of cells read into a
``Sheet`` (its header names the columns), each row converted and validated into a record, and
every problem located at its sheet's row and column."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ...yamlsource import Problem
from .cells import blank, cell_text, convert, letter
from .records import OrgData, Place
from .schema import MODELS, SECTIONS, columns, prefix


@dataclass
class Sheet:
    """A section read from a sheet or CSV file: each row's values by column name."""

    section: str
    path: str                                   # as shown: 'org.xlsx[people]' or 'people.csv'
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)   # name → column letter
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


class TablePlace(Place):
    """Locates a value at its sheet's row and, for a field, its column."""

    def __init__(self, sheets: dict[str, Sheet]):
        self.sheets = sheets

    @staticmethod
    def _split(loc: tuple) -> tuple[str, tuple]:
        loc = loc[1:] if loc and loc[0] == "history" else loc
        return loc[0], loc[1:]

    def problem(self, loc: tuple, message: str) -> Problem:
        section, rest = self._split(loc)
        sheet = self.sheets[section]
        if not rest:
            return Problem(sheet.path, sheet.header_row, message)
        row = sheet.rows[rest[0]][0]
        name = next((step for step in rest[1:] if isinstance(step, str)), None)
        if name is None:
            return Problem(sheet.path, row, message)
        column = sheet.columns.get(name)
        return Problem(sheet.path, row, f"column {column} '{name}': {message}" if column else
                       f"column '{name}': {message}")

    def where(self, loc: tuple) -> str:
        section, rest = self._split(loc)
        return f"row {self.sheets[section].rows[rest[0]][0]}"


def hint(name: str, known: Iterable[str]) -> str:
    """'did you mean …?', or the names allowed."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(known)


def read_sheet(section: str, shown: str, grid: Iterable[tuple[int, Sequence[Any]]],
               problems: list[Problem]) -> Sheet:
    """Reads a sheet: its first non-empty row names the columns; empty rows are skipped."""
    model = MODELS[section]
    allowed = columns(section) + (["password"] if section == "users" else [])
    required = [n for n in allowed if model.model_fields[n].is_required()]
    sheet = Sheet(section, shown)
    indexes: dict[str, int] = {}
    unnamed: dict[int, bool] = {}  # columns with no name: whether a value was reported yet
    for number, cells in grid:
        cells = list(cells)
        if not sheet.header_row:
            if all(blank(c) for c in cells):
                continue
            sheet.header_row = number
            for index, cell in enumerate(cells):
                column = letter(index)
                if blank(cell):
                    unnamed[index] = False
                    continue
                shown_name = str(cell).strip()
                name = shown_name.lower().replace(" ", "_")
                if name in indexes:
                    problems.append(Problem(shown, number, f"column {column} '{shown_name}': appears twice in the "
                                                           f"header (first in column {sheet.columns[name]})"))
                elif name in allowed:
                    indexes[name], sheet.columns[name] = index, column
                else:
                    advice = ("a user's roles go in the sheet 'roles', one row per role" if name == "roles"
                              and section == "users" else hint(name, allowed))
                    problems.append(Problem(shown, number, f"column {column} '{shown_name}': unknown column "
                                                           f"({advice})"))
            for name in required:
                if name not in indexes:
                    problems.append(Problem(shown, number, f"missing column '{name}' (required)"))
            continue
        values = {name: cells[i] for name, i in indexes.items() if i < len(cells) and not blank(cells[i])}
        for index, reported in unnamed.items():
            if not reported and index < len(cells) and not blank(cells[index]):
                unnamed[index] = True
                problems.append(Problem(shown, number, f"column {letter(index)} has values but no name in the "
                                                       "header row"))
        if values:
            sheet.rows.append((number, values))
    return sheet


_ROW_MESSAGES = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "date_type": "must be a date written as YYYY-MM-DD",
    "bool_type": "must be true or false",
    "string_too_short": "must not be empty",
}


def _row_error(err: dict) -> str:
    """A pydantic error about one cell, as a person reading the sheet needs it."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing":
        return "missing value (required)"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    text = _ROW_MESSAGES.get(kind, err["msg"][0].lower() + err["msg"][1:])
    value = err.get("input")
    if kind in _ROW_MESSAGES and kind != "string_too_short" and not isinstance(value, (dict, list)):
        text += f", got {cell_text(value)!r}"
    return text


def from_tables(shown: str, sheets: dict[str, Sheet], problems: list[Problem]) -> OrgData:
    """The records of the sheets' rows: each cell converted, each row validated; a row with
    any problem is left out (its codes still count as declared)."""
    place = TablePlace(sheets)
    data = OrgData(shown, place)
    for section in SECTIONS:
        sheet = sheets.get(section)
        if sheet is None:
            continue
        model, start = MODELS[section], prefix(section)
        for i, (_row, cells) in enumerate(sheet.rows):
            loc = start + (i,)
            values: dict[str, Any] = {}
            refused: set[str] = set()
            for name, cell in cells.items():
                try:
                    values[name] = convert(name, cell)
                except ValueError as err:
                    refused.add(name)
                    problems.append(place.problem(loc + (name,), str(err)))
            data.declare(section, values)
            try:
                value = model.model_validate(values)
            except ValidationError as error:
                for err in error.errors(include_url=False):
                    name = err["loc"][0] if err["loc"] else None
                    if name in refused or (err["type"] == "missing" and name not in sheet.columns):
                        continue  # said already: the cell's value, or the missing column
                    problems.append(place.problem(loc + tuple(err["loc"]), _row_error(err)))
                continue
            if not refused:
                data.add(section, value, loc)
    return data
