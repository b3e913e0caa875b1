"""Reading an organisation file — YAML, an XLSX workbook, one CSV file or a folder of them —
into records, checking its shape: every problem is reported where it was written."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...schema import _describe, problems_from
from ...yamlsource import Located, Problem, load_yaml, read_text
from .checks import repeats
from .records import OrgData, Place
from .schema import HISTORY, MODELS, SECTIONS, OrganisationSchema, RoleEntry, UserEntry, prefix
from .tables import Sheet, from_tables, hint, read_sheet

__all__ = ["read_organisation"]


def read_organisation(path: Path) -> tuple[OrgData | None, list[Problem]]:
    """Reads an organisation file (.yaml/.yml, .xlsx, .csv) or a folder of .csv files, and
    checks its shape. Returns what could be read (None when nothing could) and every problem.
    Never raises on bad input."""
    path = Path(path)
    if not path.exists():
        return None, [Problem(str(path), 0, "no such file or folder")]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if not files:
            return None, [Problem(str(path), 0, "the folder holds no .csv files (one per section, named after it: "
                                                "bodies.csv, people.csv, …)")]
        data, problems = _read_csv(path, files)
    else:
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            data, problems = _read_yaml(path)
        elif suffix == ".xlsx":
            data, problems = _read_xlsx(path)
        elif suffix == ".csv":
            data, problems = _read_csv(path, [path])
        else:
            return None, [Problem(str(path), 0, "unknown kind of file: give a .yaml, .xlsx or .csv file, "
                                                "or a folder of .csv files")]
    if data is not None:
        problems += repeats(data)
        data.problems = problems
    return data, problems


class YamlPlace(Place):
    """Locates a value at its line in the YAML file, and names its path in the message."""

    def __init__(self, located: Located):
        self.located = located

    def problem(self, loc: tuple, message: str) -> Problem:
        return self.located.problem(loc, f"{_describe(loc)}: {message}" if loc else message)

    def where(self, loc: tuple) -> str:
        return f"line {self.located.line_of(loc)}"


def _read_yaml(path: Path) -> tuple[OrgData | None, list[Problem]]:
    located, problems = load_yaml(path)
    if located is None:
        return None, problems
    if not isinstance(located.data, dict):
        kind = {"list": "a list", "str": "text"}.get(type(located.data).__name__, "a single value")
        return None, problems + [located.problem((), "the file must be a mapping of sections (bodies, councils, "
                                                     f"people, …), not {kind}")]
    unreadable = {p.line for p in problems}  # values the YAML reader refused (an impossible date …)
    data = OrgData(str(path), YamlPlace(located))
    try:
        whole = OrganisationSchema.model_validate(located.data)
    except ValidationError as err:
        whole = None
        problems += [p for p in problems_from(err, located, OrganisationSchema)
                     if not (p.line in unreadable and p.message.endswith("got None"))]
    for section in SECTIONS:
        start = prefix(section)
        raw_items = located.data.get(start[0])
        if len(start) == 2:
            raw_items = raw_items.get(start[1]) if isinstance(raw_items, dict) else None
        if not isinstance(raw_items, list):
            continue
        model = MODELS[section]
        for i, raw in enumerate(raw_items):
            data.declare(section, raw)
            if whole is not None:
                value = (getattr(whole.history, section) if section in HISTORY else getattr(whole, section))[i]
            elif section == "users":
                _salvage_user(data, raw, start + (i,))
                continue
            else:  # keep the well-formed items, so their meaning can be checked too
                try:
                    value = model.model_validate(raw)
                except ValidationError:
                    continue
            data.add(section, value, start + (i,))
    return data, problems


def _salvage_user(data: OrgData, raw: Any, loc: tuple) -> None:
    """A malformed user: keeps the user if only some roles are malformed, and the
    well-formed roles in any case, so that their meaning is checked too."""
    if not isinstance(raw, dict):
        return
    roles = raw.get("roles")
    try:
        user = UserEntry.model_validate({**raw, "roles": None})
    except ValidationError:
        user = None
    if user is not None:
        data.add("users", user, loc)
    if isinstance(roles, list):
        well_formed = []
        for j, role in enumerate(roles):
            try:
                well_formed.append((j, RoleEntry.model_validate(role)))
            except ValidationError:
                pass
        data.add_roles(user.username if user is not None else str(raw.get("username")), well_formed, loc)


def _read_xlsx(path: Path) -> tuple[OrgData | None, list[Problem]]:
    from openpyxl import load_workbook  # only needed here

    shown = str(path)
    problems: list[Problem] = []
    sheets: dict[str, Sheet] = {}
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl refuses a broken file with many kinds of errors
        return None, [Problem(shown, 0, f"cannot read the workbook ({type(err).__name__}: {err}); "
                                        "save it as an Excel workbook (.xlsx)")]
    try:
        for sheet in workbook.worksheets:
            title = sheet.title
            if title.startswith("_"):  # notes for people, ignored
                continue
            section = title.strip().lower()
            if section not in SECTIONS:
                problems.append(Problem(shown, 0, f"sheet '{title}': unknown section ({hint(section, SECTIONS)}); "
                                                  "name each sheet after its section, or start its name with '_' "
                                                  "to have it ignored"))
                continue
            if section in sheets:
                problems.append(Problem(shown, 0, f"sheet '{title}': section '{section}' appears in two sheets"))
                continue
            sheet.reset_dimensions()  # some writers record wrong dimensions
            sheets[section] = read_sheet(section, f"{shown}[{title}]",
                                         enumerate(sheet.iter_rows(values_only=True), start=1), problems)
    except Exception as err:  # a damaged part of the workbook
        return None, problems + [Problem(shown, 0, f"cannot read the workbook ({type(err).__name__}: {err})")]
    finally:
        workbook.close()
    return from_tables(shown, sheets, problems), problems


def _delimiter(text: str) -> str:
    """',' or ';' (Excel's choice where the decimal mark is a comma, as in Vietnam) or tab,
    whichever the header line uses most."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max((",", ";", "\t"), key=first.count)


def _read_csv(shown: Path, files: list[Path]) -> tuple[OrgData | None, list[Problem]]:
    problems: list[Problem] = []
    sheets: dict[str, Sheet] = {}
    for path in files:
        section = path.stem.strip().lower()
        if section not in SECTIONS:
            problems.append(Problem(str(path), 0, f"unknown section '{path.stem}' ({hint(section, SECTIONS)}); "
                                                  "name each CSV file after its section: people.csv, …"))
            continue
        text, more = read_text(path)
        problems += more
        if text is None:
            continue
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        try:
            rows = list(enumerate(reader, start=1))
        except csv.Error as err:
            problems.append(Problem(str(path), reader.line_num, f"the CSV text cannot be read: {err}"))
            continue
        sheets[section] = read_sheet(section, str(path), rows, problems)
    return from_tables(str(shown), sheets, problems), problems

