"""Import and export of the organisation (tổ chức): bodies, councils, clusters, periods, people,
users and their roles, delegations, cluster leadership and award history (lịch sử khen thưởng).

One format, three containers: a YAML file (``definitions/demo/organisation.yaml`` is the
reference), an XLSX workbook with one sheet per section, or CSV files (one section each, named
after it) — a single file or a folder of them. Four steps:

- ``read_organisation`` checks the shape of the file and reports every problem where it was
  written: ``file:line`` in YAML, the sheet's (or CSV file's) row and column in a table;
- ``check_organisation`` checks the meaning against the award catalogue, the role vocabulary
  and the database: references, role scopes, cycles of parent bodies, one council per body;
- ``apply_organisation`` writes it all in the caller's transaction, upserting by natural key
  (codes, user names), so importing one file twice changes nothing;
- ``export_organisation`` writes the database back in the same format (without passwords).
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints, ValidationError, \
    model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..schema import Strict, problems_from
from ..validation import unknown_name
from ..yamlsource import Located, Problem, load_yaml, read_text
from .catalogue import Catalogue
from .errors import DomainError
from .models import (AwardRecord, Body, Cluster, ClusterLeadership, ClusterMembership, Council, Delegation,
                     Discipline, Initiative, Period, Person, RoleAssignment, User)
from .organisation import COUNCIL_ROLES, UNIT_ROLES
from .text import nfc

__all__ = ["read_organisation", "check_organisation", "apply_organisation", "export_organisation",
           "OrgData", "Entry", "ImportSummary", "ImportRefused", "SECTIONS", "FORMAT_VERSION"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""The version of the organisation format written by ``export_organisation`` (YAML key ``version``)."""

SECTIONS = ("bodies", "councils", "clusters", "periods", "people", "users", "roles", "delegations", "leadership",
            "awards", "initiatives", "discipline")
"""Every section, in the order they are applied. In YAML, users carry their roles and the last
three sit under ``history``; in a table each is a sheet (or CSV file) of its own."""
HISTORY = ("awards", "initiatives", "discipline")
_BATCH = 500           # codes per IN (...) query
_PROGRESS_EVERY = 100  # records between two progress calls
_CELL_LIMIT = 32_000   # characters in a spreadsheet cell (Excel holds 32,767)


# --- the shape of each section (shared by YAML and tables) ------------------------------------

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@\-]*")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _identifier(pattern: re.Pattern, what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # period: 2025 means the code "2025"
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError("must not be empty")
            if not pattern.fullmatch(value):
                raise ValueError(f"'{value}' is not a {what}: use letters, digits, '-', '_' or '.', "
                                 "starting with a letter or digit, without spaces")
        return value
    return check


def _day(value: Any) -> Any:
    """Dates as YAML or Excel dates, or as YYYY-MM-DD text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"'{value.strip()}' is not a day of the calendar") from None
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"'{value}' is not an email address")
    return value


def _password(value: str) -> str:
    if len(value) < 8:
        raise ValueError("a password must have at least 8 characters")
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, (str, int)) and not isinstance(value, bool) else value


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


def _text(length: int) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=length),
                     AfterValidator(nfc)]


Code = Annotated[str, BeforeValidator(_identifier(_CODE, "code")), StringConstraints(max_length=64)]
PeriodCode = Annotated[str, BeforeValidator(_identifier(_CODE, "code")), StringConstraints(max_length=32)]
Username = Annotated[str, BeforeValidator(_identifier(_USERNAME, "user name")), StringConstraints(max_length=64)]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
Day = Annotated[date, BeforeValidator(_day)]
CodeList = Annotated[list[Code], BeforeValidator(_as_list)]


def _after(first: str, second: str):
    """A model check: ``second`` is not before ``first`` (when both are given)."""
    def check(self):
        a, b = getattr(self, first), getattr(self, second)
        if a is not None and b is not None and b < a:
            raise ValueError(f"'{second}' ({b.isoformat()}) is before '{first}' ({a.isoformat()})")
        return self
    return model_validator(mode="after")(check)


class BodyEntry(Strict):
    """Cơ quan, đơn vị: a body, nested under ``parent``, at a catalogue ``level``."""

    code: Code
    name: _text(300)
    name_en: _text(300) | None = None
    short_name: _text(120) | None = None
    level: Word
    parent: Code | None = None
    place: _text(120) | None = None
    document_symbol: _text(32) | None = None


class CouncilEntry(Strict):
    """Hội đồng Thi đua - Khen thưởng of a body (one per body)."""

    code: Code
    name: _text(300)
    body: Code


class ClusterEntry(Strict):
    """Cụm or khối thi đua; ``members`` (body codes) replace the cluster's members."""

    code: Code
    name: _text(300)
    council: Code
    kind: Literal["cluster", "block"] = "cluster"
    members: CodeList = []


class PeriodEntry(Strict):
    code: PeriodCode
    name: _text(300)
    kind: Literal["year", "movement"] = "year"
    year: Annotated[int, Field(ge=1900, le=2999)] | None = None
    starts: Day
    ends: Day
    submission_opens: Day
    submission_closes: Day

    _ends = _after("starts", "ends")
    _closes = _after("submission_opens", "submission_closes")


class PersonEntry(Strict):
    code: Code
    name: _text(200)
    position: _text(200) | None = None
    unit: Code


class RoleEntry(Strict):
    """A role held in a body, a cluster or a council (or none, for ``admin``), maybe for a while."""

    role: Word
    body: Code | None = None
    cluster: Code | None = None
    council: Code | None = None
    valid_from: Day | None = None
    valid_to: Day | None = None

    _range = _after("valid_from", "valid_to")


class RoleLine(RoleEntry):
    """A role assignment by user name: a row of the ``roles`` sheet."""

    username: Username


class UserEntry(Strict):
    """Someone who signs in. ``password`` is the initial password of a new user; ``roles``,
    when given (even empty), replace the user's roles; when left out, they are kept."""

    username: Username
    name: _text(200)
    email: Email | None = None
    person: Code | None = None
    password: Annotated[str, StringConstraints(max_length=200), AfterValidator(_password)] | None = None
    active: bool = True
    roles: list[RoleEntry] | None = None


class DelegationEntry(Strict):
    principal: Username
    deputy: Username
    starts: Day
    ends: Day
    note: _text(500) | None = None

    _range = _after("starts", "ends")

    @model_validator(mode="after")
    def _two_people(self) -> "DelegationEntry":
        if self.principal == self.deputy:
            raise ValueError(f"'{self.principal}' cannot act for themselves: the deputy must be someone else")
        return self


class LeadershipEntry(Strict):
    """The member units elected cluster head and deputy for a period."""

    cluster: Code
    period: PeriodCode
    head: Code
    deputy: Code | None = None

    @model_validator(mode="after")
    def _two_units(self) -> "LeadershipEntry":
        if self.head == self.deputy:
            raise ValueError(f"'{self.head}' cannot be both head and deputy")
        return self


class AwardEntry(Strict):
    """An award held for a period, by ``people`` (individual awards) or ``units`` (collective)."""

    award: Word
    period: PeriodCode
    people: CodeList = []
    units: CodeList = []
    awarded_on: Day | None = None      # default: the last day of the period
    decision: _text(64) | None = None  # the number of the decision that granted it

    @model_validator(mode="after")
    def _holders(self) -> "AwardEntry":
        if bool(self.people) == bool(self.units):
            raise ValueError("list the holders under 'people' (individuals) or 'units' (collectives): one of the two")
        return self


class InitiativeEntry(Strict):
    person: Code
    period: PeriodCode
    level: Word
    recognised_on: Day
    title: _text(500)


class DisciplineEntry(Strict):
    person: Code
    period: PeriodCode
    level: Word
    decided_on: Day
    note: _text(500) | None = None


def _section(model: type) -> Any:
    return Annotated[list[model], BeforeValidator(_none_as_empty)]


class HistorySchema(Strict):
    awards: _section(AwardEntry) = []
    initiatives: _section(InitiativeEntry) = []
    discipline: _section(DisciplineEntry) = []


class OrganisationSchema(Strict):
    """An organisation file (YAML). ``roles`` gives role assignments by user name, as in a table."""

    version: Literal[1] = FORMAT_VERSION
    bodies: _section(BodyEntry) = []
    councils: _section(CouncilEntry) = []
    clusters: _section(ClusterEntry) = []
    periods: _section(PeriodEntry) = []
    people: _section(PersonEntry) = []
    users: _section(UserEntry) = []
    roles: _section(RoleLine) = []
    delegations: _section(DelegationEntry) = []
    leadership: _section(LeadershipEntry) = []
    history: Annotated[HistorySchema, BeforeValidator(lambda v: {} if v is None else v)] = HistorySchema()


_MODELS: dict[str, type[Strict]] = {
    "bodies": BodyEntry, "councils": CouncilEntry, "clusters": ClusterEntry, "periods": PeriodEntry,
    "people": PersonEntry, "users": UserEntry, "roles": RoleLine, "delegations": DelegationEntry,
    "leadership": LeadershipEntry, "awards": AwardEntry, "initiatives": InitiativeEntry,
    "discipline": DisciplineEntry,
}
_KEYS = {"bodies": "code", "councils": "code", "clusters": "code", "periods": "code", "people": "code",
         "users": "username"}
"""The natural key of the sections that others refer to."""


def _columns(section: str) -> list[str]:
    """The columns of a section's sheet, in order (as exported)."""
    names = [n for n in _MODELS[section].model_fields if n not in ("roles", "password")]
    return ["username"] + [n for n in names if n != "username"] if section == "roles" else names


def _prefix(section: str) -> tuple:
    return ("history", section) if section in HISTORY else (section,)


# --- what was read ----------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Entry(Generic[M]):
    """One item of a section, and where it was written (its path in the YAML document)."""

    value: M
    loc: tuple


class _Place:
    """Says where a value was written: ``problem(loc, message)`` and ``where(loc)``."""

    def problem(self, loc: tuple, message: str) -> Problem:
        raise NotImplementedError

    def where(self, loc: tuple) -> str:
        raise NotImplementedError


def _describe(loc: tuple) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


class _YamlPlace(_Place):
    def __init__(self, located: Located):
        self.located = located

    def problem(self, loc: tuple, message: str) -> Problem:
        return self.located.problem(loc, f"{_describe(loc)}: {message}" if loc else message)

    def where(self, loc: tuple) -> str:
        return f"line {self.located.line_of(loc)}"


@dataclass
class _Sheet:
    """A section read from a sheet or CSV file: each row's values by column name."""

    section: str
    path: str                                   # as shown: 'org.xlsx[people]' or 'people.csv'
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)   # name → column letter
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


class _TablePlace(_Place):
    def __init__(self, sheets: dict[str, _Sheet]):
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
        letter = sheet.columns.get(name)
        return Problem(sheet.path, row, f"column {letter} '{name}': {message}" if letter else
                       f"column '{name}': {message}")

    def where(self, loc: tuple) -> str:
        section, rest = self._split(loc)
        return f"row {self.sheets[section].rows[rest[0]][0]}"


@dataclass
class OrgData:
    """An organisation file, read: the well-formed items of each section with where they were
    written, the codes the file declares (well-formed or not), and the problems found so far."""

    path: str
    place: _Place
    sections: dict[str, list[Entry]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    roles_given: set[str] = field(default_factory=set)   # users whose roles the file sets
    declared: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in _KEYS})
    problems: list[Problem] = field(default_factory=list)

    def __getitem__(self, section: str) -> list[Entry]:
        return self.sections[section]

    @property
    def size(self) -> int:
        """How many records applying the file writes or checks (the length of a progress bar)."""
        awards = sum(len(e.value.people) + len(e.value.units) for e in self.sections["awards"])
        return awards + sum(len(entries) for s, entries in self.sections.items() if s != "awards")

    def problem(self, loc: tuple, message: str) -> Problem:
        return self.place.problem(loc, message)

    def _declare(self, section: str, raw: Any) -> None:
        key = _KEYS.get(section)
        if key and isinstance(raw, dict) and isinstance(raw.get(key), (str, int)) and not isinstance(raw[key], bool):
            self.declared[section].add(str(raw[key]).strip())

    def _add(self, section: str, value: BaseModel, loc: tuple) -> None:
        self.sections[section].append(Entry(value, loc))
        if section == "roles":
            self.roles_given.add(value.username)
        elif section == "users" and value.roles is not None:
            self._add_roles(value.username, enumerate(value.roles), loc)

    def _add_roles(self, username: str, roles: Iterable[tuple[int, RoleEntry]], loc: tuple) -> None:
        """A YAML user's roles (by their index in the user's list), as rows of the roles sheet."""
        self.roles_given.add(username)
        for j, role in roles:
            self.sections["roles"].append(Entry(RoleLine.model_construct(username=username, **dict(role)),
                                                loc + ("roles", j)))


# --- reading ----------------------------------------------------------------------------------

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
        problems += _duplicates(data)
        data.problems = problems
    return data, problems


def _read_yaml(path: Path) -> tuple[OrgData | None, list[Problem]]:
    located, problems = load_yaml(path)
    if located is None:
        return None, problems
    if not isinstance(located.data, dict):
        kind = {"list": "a list", "str": "text"}.get(type(located.data).__name__, "a single value")
        return None, problems + [located.problem((), "the file must be a mapping of sections (bodies, councils, "
                                                     f"people, …), not {kind}")]
    unreadable = {p.line for p in problems}  # values the YAML reader refused (an impossible date …)
    data = OrgData(str(path), _YamlPlace(located))
    try:
        whole = OrganisationSchema.model_validate(located.data)
    except ValidationError as err:
        whole = None
        problems += [p for p in problems_from(err, located, OrganisationSchema)
                     if not (p.line in unreadable and p.message.endswith("got None"))]
    for section in SECTIONS:
        prefix = _prefix(section)
        raw_items = located.data.get(prefix[0])
        if len(prefix) == 2:
            raw_items = raw_items.get(prefix[1]) if isinstance(raw_items, dict) else None
        if not isinstance(raw_items, list):
            continue
        model = _MODELS[section]
        for i, raw in enumerate(raw_items):
            data._declare(section, raw)
            if whole is not None:
                value = (getattr(whole.history, section) if section in HISTORY else getattr(whole, section))[i]
            elif section == "users":
                _salvage_user(data, raw, prefix + (i,))
                continue
            else:  # keep the well-formed items, so their meaning can be checked too
                try:
                    value = model.model_validate(raw)
                except ValidationError:
                    continue
            data._add(section, value, prefix + (i,))
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
        data._add("users", user, loc)
    if isinstance(roles, list):
        well_formed = []
        for j, role in enumerate(roles):
            try:
                well_formed.append((j, RoleEntry.model_validate(role)))
            except ValidationError:
                pass
        data._add_roles(user.username if user is not None else str(raw.get("username")), well_formed, loc)


def _read_xlsx(path: Path) -> tuple[OrgData | None, list[Problem]]:
    from openpyxl import load_workbook  # only needed here

    shown = str(path)
    problems: list[Problem] = []
    sheets: dict[str, _Sheet] = {}
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
                problems.append(Problem(shown, 0, f"sheet '{title}': unknown section ({_hint(section, SECTIONS)}); "
                                                  "name each sheet after its section, or start its name with '_' "
                                                  "to have it ignored"))
                continue
            if section in sheets:
                problems.append(Problem(shown, 0, f"sheet '{title}': section '{section}' appears in two sheets"))
                continue
            sheet.reset_dimensions()  # some writers record wrong dimensions
            sheets[section] = _table(section, f"{shown}[{title}]",
                                     enumerate(sheet.iter_rows(values_only=True), start=1), problems)
    except Exception as err:  # a damaged part of the workbook
        return None, problems + [Problem(shown, 0, f"cannot read the workbook ({type(err).__name__}: {err})")]
    finally:
        workbook.close()
    return _from_tables(shown, sheets, problems), problems


def _delimiter(text: str) -> str:
    """',' or ';' (Excel's choice where the decimal mark is a comma, as in Vietnam) or tab,
    whichever the header line uses most."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max((",", ";", "\t"), key=first.count)


def _read_csv(shown: Path, files: list[Path]) -> tuple[OrgData | None, list[Problem]]:
    problems: list[Problem] = []
    sheets: dict[str, _Sheet] = {}
    for path in files:
        section = path.stem.strip().lower()
        if section not in SECTIONS:
            problems.append(Problem(str(path), 0, f"unknown section '{path.stem}' ({_hint(section, SECTIONS)}); "
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
        sheets[section] = _table(section, str(path), rows, problems)
    return _from_tables(str(shown), sheets, problems), problems


def _hint(name: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(known)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _table(section: str, shown: str, grid: Iterable[tuple[int, Sequence[Any]]], problems: list[Problem]) -> _Sheet:
    """Reads a sheet: its first non-empty row names the columns; empty rows are skipped."""
    model = _MODELS[section]
    allowed = _columns(section) + (["password"] if section == "users" else [])
    required = [n for n in allowed if model.model_fields[n].is_required()]
    sheet = _Sheet(section, shown)
    indexes: dict[str, int] = {}
    unnamed: dict[int, bool] = {}  # columns with no name: whether a value was reported yet
    for number, cells in grid:
        cells = list(cells)
        if not sheet.header_row:
            if all(_blank(c) for c in cells):
                continue
            sheet.header_row = number
            for index, cell in enumerate(cells):
                letter = _letter(index)
                if _blank(cell):
                    unnamed[index] = False
                    continue
                shown_name = str(cell).strip()
                name = shown_name.lower().replace(" ", "_")
                if name in indexes:
                    problems.append(Problem(shown, number, f"column {letter} '{shown_name}': appears twice in the "
                                                           f"header (first in column {sheet.columns[name]})"))
                elif name in allowed:
                    indexes[name], sheet.columns[name] = index, letter
                else:
                    hint = ("a user's roles go in the sheet 'roles', one row per role" if name == "roles"
                            and section == "users" else _hint(name, allowed))
                    problems.append(Problem(shown, number, f"column {letter} '{shown_name}': unknown column ({hint})"))
            for name in required:
                if name not in indexes:
                    problems.append(Problem(shown, number, f"missing column '{name}' (required)"))
            continue
        values = {name: cells[i] for name, i in indexes.items() if i < len(cells) and not _blank(cells[i])}
        for index, reported in unnamed.items():
            if not reported and index < len(cells) and not _blank(cells[index]):
                unnamed[index] = True
                problems.append(Problem(shown, number, f"column {_letter(index)} has values but no name in the "
                                                       "header row"))
        if values:
            sheet.rows.append((number, values))
    return sheet


_INTS = {"year"}
_BOOLS = {"active"}
_LISTS = {"members", "people", "units"}
_DATES = {"starts", "ends", "submission_opens", "submission_closes", "valid_from", "valid_to", "awarded_on",
          "recognised_on", "decided_on"}
_TRUE = {"true", "yes", "y", "1", "x", "có", "co"}
_FALSE = {"false", "no", "n", "0", "không", "khong"}


def _cell_text(cell: Any) -> str:
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def _convert(name: str, cell: Any) -> Any:
    """A cell as the value its column holds (raises ValueError with a message for a person)."""
    if name in _DATES:
        return cell.strip() if isinstance(cell, str) else cell
    if name in _INTS:
        if isinstance(cell, float) and cell.is_integer():
            return int(cell)
        if isinstance(cell, str) and re.fullmatch(r"\s*-?\d+\s*", cell):
            return int(cell)
        return cell
    if name in _BOOLS:
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, (int, float)) and cell in (0, 1):
            return bool(cell)
        text = _cell_text(cell).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"must be true or false (or yes/no), got {_cell_text(cell)!r}")
    if name in _LISTS:
        return [part.strip() for part in re.split(r"[;,\n]", _cell_text(cell)) if part.strip()]
    return _cell_text(cell)


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
        text += f", got {_cell_text(value)!r}"
    return text


def _from_tables(shown: str, sheets: dict[str, _Sheet], problems: list[Problem]) -> OrgData:
    place = _TablePlace(sheets)
    data = OrgData(shown, place)
    for section in SECTIONS:
        sheet = sheets.get(section)
        if sheet is None:
            continue
        model, prefix = _MODELS[section], _prefix(section)
        for i, (_row, cells) in enumerate(sheet.rows):
            loc = prefix + (i,)
            values: dict[str, Any] = {}
            refused: set[str] = set()
            for name, cell in cells.items():
                try:
                    values[name] = _convert(name, cell)
                except ValueError as err:
                    refused.add(name)
                    problems.append(place.problem(loc + (name,), str(err)))
            data._declare(section, values)
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
                data._add(section, value, loc)
    return data


def _duplicates(data: OrgData) -> list[Problem]:
    """Codes, user names and records written twice in the file."""
    problems: list[Problem] = []

    def once(section: str, key: Callable[[Any], Any], name: str, message: Callable[[Any], str]) -> None:
        first: dict[Any, tuple] = {}
        for entry in data[section]:
            k = key(entry.value)
            if k in first:
                where = data.place.where(first[k])
                problems.append(data.problem(entry.loc + (name,), f"{message(k)} (first on {where})"))
            else:
                first[k] = entry.loc

    for section in ("bodies", "councils", "clusters", "periods", "people"):
        once(section, lambda v: v.code, "code", lambda k: f"code '{k}' appears twice")
    once("users", lambda v: v.username, "username", lambda k: f"user name '{k}' appears twice")
    once("leadership", lambda v: (v.cluster, v.period), "period",
         lambda k: f"cluster '{k[0]}' has its leadership for period '{k[1]}' given twice")
    once("delegations", lambda v: (v.principal, v.deputy, v.starts, v.ends), "deputy",
         lambda k: "the same delegation appears twice")
    once("roles", lambda v: (v.username, v.role, v.body, v.cluster, v.council, v.valid_from, v.valid_to), "role",
         lambda k: f"user '{k[0]}' is given the role '{k[1]}' twice")
    once("initiatives", lambda v: (v.person, v.period, v.title, v.level, v.recognised_on), "title",
         lambda k: "the same initiative appears twice")
    once("discipline", lambda v: (v.person, v.period, v.level, v.decided_on, v.note), "level",
         lambda k: "the same disciplinary measure appears twice")
    for entry in data["clusters"]:
        seen: set[str] = set()
        for k, member in enumerate(entry.value.members):
            if member in seen:
                problems.append(data.problem(entry.loc + ("members", k), f"body '{member}' is listed twice"))
            seen.add(member)
    holders: dict[tuple, tuple] = {}
    for entry in data["awards"]:
        award = entry.value
        for kind in ("people", "units"):
            for k, code in enumerate(getattr(award, kind)):
                key = (award.award, award.period, kind, code)
                if key in holders:
                    problems.append(data.problem(entry.loc + (kind, k), f"'{code}' already holds '{award.award}' for "
                                                                        f"period '{award.period}' in this file (on "
                                                                        f"{data.place.where(holders[key])})"))
                else:
                    holders[key] = entry.loc
    return problems


# --- checking the meaning ---------------------------------------------------------------------

_KINDS = {  # what a reference names → (its table, the code column, the section declaring such codes)
    "body": (Body, Body.code, "bodies"),
    "council": (Council, Council.code, "councils"),
    "cluster": (Cluster, Cluster.code, "clusters"),
    "period": (Period, Period.code, "periods"),
    "person": (Person, Person.code, "people"),
    "user": (User, User.username, "users"),
}
_SCOPES = ("body", "cluster", "council")


def _chunks(items: Sequence, size: int = _BATCH) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing(session: Session, kind: str, codes: Iterable[str]) -> dict[str, int]:
    """Code → id of the given codes that the database holds."""
    table, column, _ = _KINDS[kind]
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(codes))):
        found.update(session.execute(select(column, table.id).where(column.in_(chunk))).all())
    return found


def _role_scope(role: str) -> str | None:
    """Where ``role`` is held: 'body', 'council', 'cluster', None (global) or '' (anywhere)."""
    if role in UNIT_ROLES:
        return "body"
    if role in COUNCIL_ROLES:
        return "council"
    if role.startswith("cluster_"):
        return "cluster"
    return None if role == "admin" else ""


def _scope_problem(line: RoleEntry) -> str | None:
    given = [k for k in _SCOPES if getattr(line, k) is not None]
    need = _role_scope(line.role)
    if need is None and given:
        return f"role '{line.role}' is held everywhere: leave out '{given[0]}'"
    if need and given != [need]:
        if not given:
            return f"role '{line.role}' is held in a {need}: give its '{need}'"
        return f"role '{line.role}' is held in a {need}: give '{need}', not " + " or ".join(f"'{g}'" for g in given
                                                                                         if g != need)
    if need == "" and len(given) > 1:
        return "give at most one of 'body', 'cluster' or 'council'"
    return None


def check_organisation(session: Session, data: OrgData, *, catalogue: Catalogue,
                       role_names: Iterable[str]) -> list[Problem]:
    """The meaning of what was read: catalogue levels and awards, role names and scopes, every
    reference (to the file or to the database), cycles of parent bodies, one council per body,
    cluster leaders among the cluster's members. Returns the problems (the read problems not included)."""
    problems: list[Problem] = []
    refs: list[tuple[str, str, tuple]] = []
    roles = set(role_names) - {"system"}

    def ref(kind: str, code: str | None, loc: tuple) -> None:
        if code is not None:
            refs.append((kind, code, loc))

    def name(loc: tuple, kind: str, value: str, known: Iterable[str]) -> None:
        known = list(known)
        if value not in known:
            problems.append(data.problem(loc, unknown_name(kind, value, known)))

    levels, discipline = catalogue.schema.levels, catalogue.schema.discipline
    for e in data["bodies"]:
        name(e.loc + ("level",), "level", e.value.level, levels)
        ref("body", e.value.parent, e.loc + ("parent",))
    for e in data["councils"]:
        ref("body", e.value.body, e.loc + ("body",))
    for e in data["clusters"]:
        ref("council", e.value.council, e.loc + ("council",))
        for k, member in enumerate(e.value.members):
            ref("body", member, e.loc + ("members", k))
    for e in data["people"]:
        ref("body", e.value.unit, e.loc + ("unit",))
    for e in data["users"]:
        ref("person", e.value.person, e.loc + ("person",))
    for e in data["roles"]:
        line = e.value
        if e.loc[0] == "roles":  # a row of the roles sheet names its user
            ref("user", line.username, e.loc + ("username",))
        if line.role == "system":
            problems.append(data.problem(e.loc + ("role",), "role 'system' is the scheduler's own; "
                                                            "it cannot be given to a user"))
        elif line.role not in roles:
            name(e.loc + ("role",), "role", line.role, roles)
        else:
            message = _scope_problem(line)
            if message:
                problems.append(data.problem(e.loc + ("role",), message))
        for scope in _SCOPES:
            ref(scope, getattr(line, scope), e.loc + (scope,))
    for e in data["delegations"]:
        ref("user", e.value.principal, e.loc + ("principal",))
        ref("user", e.value.deputy, e.loc + ("deputy",))
    for e in data["leadership"]:
        for key, kind in (("cluster", "cluster"), ("period", "period"), ("head", "body"), ("deputy", "body")):
            ref(kind, getattr(e.value, key), e.loc + (key,))
    for e in data["awards"]:
        award = e.value
        ref("period", award.period, e.loc + ("period",))
        for k, code in enumerate(award.people):
            ref("person", code, e.loc + ("people", k))
        for k, code in enumerate(award.units):
            ref("body", code, e.loc + ("units", k))
        if award.award not in catalogue.awards:
            name(e.loc + ("award",), "award", award.award, catalogue.awards)
            continue
        subject = catalogue.award(award.award).subject
        if subject == "individual" and award.units:
            problems.append(data.problem(e.loc + ("units",), f"award '{award.award}' is given to individuals: "
                                                             "list them under 'people'"))
        if subject == "collective" and award.people:
            problems.append(data.problem(e.loc + ("people",), f"award '{award.award}' is given to collectives: "
                                                              "list the units under 'units'"))
    for e in data["initiatives"]:
        ref("person", e.value.person, e.loc + ("person",))
        ref("period", e.value.period, e.loc + ("period",))
        name(e.loc + ("level",), "level", e.value.level, levels)
    for e in data["discipline"]:
        ref("person", e.value.person, e.loc + ("person",))
        ref("period", e.value.period, e.loc + ("period",))
        name(e.loc + ("level",), "discipline level", e.value.level, discipline)

    unresolved: set[tuple[str, str]] = set()
    wanted: dict[str, set[str]] = defaultdict(set)
    for kind, code, _loc in refs:
        if code not in data.declared[_KINDS[kind][2]]:
            wanted[kind].add(code)
    found = {kind: _existing(session, kind, codes) for kind, codes in wanted.items()}
    known: dict[str, set[str]] = {}  # for suggestions: codes in the file and (some) in the database
    for kind, code, loc in refs:
        if code in wanted[kind] and code not in found[kind]:
            unresolved.add((kind, code))
            _table, column, section = _KINDS[kind]
            if kind not in known:
                known[kind] = data.declared[section] | set(session.scalars(select(column).limit(5000)))
            problems.append(data.problem(loc, unknown_name(kind, code, known[kind])))

    problems += _cycles(session, data)
    problems += _one_council_per_body(session, data)
    problems += _leaders_are_members(session, data, unresolved)
    return problems


def _cycles(session: Session, data: OrgData) -> list[Problem]:
    if not any(e.value.parent for e in data["bodies"]):
        return []
    up = aliased(Body)
    parents: dict[str, str | None] = dict(session.execute(
        select(Body.code, up.code).outerjoin(up, up.id == Body.parent_id)).all())
    parents.update({e.value.code: e.value.parent for e in data["bodies"]})
    problems, reported = [], set()
    for e in data["bodies"]:
        chain = [e.value.code]
        current = e.value.parent
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        if current == e.value.code and frozenset(chain) not in reported:
            reported.add(frozenset(chain))
            problems.append(data.problem(e.loc + ("parent",), f"body '{e.value.code}' would be its own ancestor: "
                                                              + " → ".join(chain + [current])))
    return problems


def _one_council_per_body(session: Session, data: OrgData) -> list[Problem]:
    holder: dict[str, str] = {body: code for code, body in session.execute(
        select(Council.code, Body.code).join(Body, Body.id == Council.body_id))
        if code not in data.declared["councils"]}
    problems, first = [], {}
    for e in data["councils"]:
        body = e.value.body
        if body in first:
            problems.append(data.problem(e.loc + ("body",), f"body '{body}' already has the council '{first[body]}' "
                                                            "in this file; a body has one council"))
        elif body in holder:
            problems.append(data.problem(e.loc + ("body",), f"body '{body}' already has the council '{holder[body]}' "
                                                            "in the database; a body has one council"))
        else:
            first[body] = e.value.code
    return problems


def _leaders_are_members(session: Session, data: OrgData, unresolved: set[tuple[str, str]]) -> list[Problem]:
    in_file = {e.value.code: set(e.value.members) for e in data["clusters"]}
    problems = []
    cache: dict[str, set[str]] = {}
    for e in data["leadership"]:
        lead = e.value
        if ("cluster", lead.cluster) in unresolved or (lead.cluster in data.declared["clusters"]
                                                       and lead.cluster not in in_file):
            continue  # unknown cluster, or one whose row is malformed: said already
        if lead.cluster not in in_file and lead.cluster not in cache:
            cache[lead.cluster] = set(session.scalars(
                select(Body.code).join(ClusterMembership, ClusterMembership.body_id == Body.id)
                .join(Cluster, Cluster.id == ClusterMembership.cluster_id).where(Cluster.code == lead.cluster)))
        members = in_file.get(lead.cluster, cache.get(lead.cluster, set()))
        for key in ("head", "deputy"):
            code = getattr(lead, key)
            if code is not None and ("body", code) not in unresolved and code not in members:
                problems.append(data.problem(e.loc + (key,), f"body '{code}' is not a member of cluster "
                                                             f"'{lead.cluster}'"))
    return problems


# --- applying ---------------------------------------------------------------------------------

class ImportRefused(DomainError):
    """The file has problems; nothing was written. ``problems`` lists them, located."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.message))
        listing = "\n".join(map(str, self.problems))
        n = len(self.problems)
        super().__init__(f"Tệp tổ chức có {n} lỗi; chưa nhập gì:\n{listing}",
                         f"the organisation file has {n} problem{'s' * (n != 1)}; nothing was imported:\n{listing}")


@dataclass
class ImportSummary:
    """What an import did, per section: records created, updated, unchanged and removed
    (role assignments and cluster memberships not listed any more); and the passwords
    generated for new users who were given none (shown once, stored only hashed)."""

    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    passwords: dict[str, str] = field(default_factory=dict)

    def add(self, section: str, outcome: str, n: int = 1) -> None:
        self.counts[section][outcome] += n

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] or c["removed"] for c in self.counts.values())

    def lines(self) -> list[str]:
        out = []
        for section in SECTIONS + ("memberships",):
            c = self.counts.get(section)
            if c and sum(c.values()):
                out.append(f"{section}: " + ", ".join(f"{c[k]} {k}" for k in ("created", "updated", "unchanged",
                                                                               "removed") if c[k]))
        return out


def apply_organisation(session: Session, data: OrgData, *, catalogue: Catalogue, role_names: Iterable[str],
                       hash_password: Callable[[str], str], progress: Callable[[int], None] | None = None
                       ) -> ImportSummary:
    """Writes ``data`` in the caller's transaction (the caller commits), after checking it:
    any problem, from reading or checking, raises ``ImportRefused`` before anything is written.
    ``progress(n)`` is called as records are applied, ``n`` new ones each time (they add up
    to ``data.size``)."""
    problems = list(data.problems) + check_organisation(session, data, catalogue=catalogue, role_names=role_names)
    if problems:
        raise ImportRefused(problems)
    writer = _Writer(session, data, hash_password, progress)
    writer.run()
    log.info("organisation applied from %s: %d records (%s changed)", data.path, data.size,
             "some" if writer.summary.changed else "none")
    return writer.summary


class _Writer:
    """Upserts each section in turn, by natural key, touching only what differs."""

    def __init__(self, session: Session, data: OrgData, hash_password: Callable[[str], str],
                 progress: Callable[[int], None] | None):
        self.session, self.data, self.hash_password = session, data, hash_password
        self.progress = progress
        self.pending = 0
        self.summary = ImportSummary()
        self.ids: dict[str, dict[str, int]] = {kind: {} for kind in _KINDS}

    def run(self) -> None:
        self.bodies()
        self.need("body", [v.body for v in self.values("councils")])
        self.upsert("councils", Council, "code", [(v.code, {"name": v.name, "body_id": self.id("body", v.body)})
                                                  for v in self.values("councils")], "council")
        self.clusters()
        self.upsert("periods", Period, "code", [(v.code, {k: getattr(v, k) for k in (
            "name", "kind", "year", "starts", "ends", "submission_opens", "submission_closes")})
            for v in self.values("periods")], "period")
        self.need("body", [v.unit for v in self.values("people")])
        self.upsert("people", Person, "code", [(v.code, {"full_name": v.name, "position": v.position,
                                                         "body_id": self.ids["body"][v.unit]})
                                               for v in self.values("people")], "person")
        self.users()
        self.roles()
        self.delegations()
        self.leadership()
        self.awards()
        self.history("initiatives", Initiative, "recognised_on", "title")
        self.history("discipline", Discipline, "decided_on", "note")
        self.tick(0, flush=True)

    # helpers

    def values(self, section: str) -> list[Any]:
        return [e.value for e in self.data[section]]

    def tick(self, n: int = 1, flush: bool = False) -> None:
        self.pending += n
        if self.progress and self.pending and (flush or self.pending >= _PROGRESS_EVERY):
            self.progress(self.pending)
            self.pending = 0

    def need(self, kind: str, codes: Iterable[str | None]) -> None:
        missing = {c for c in codes if c is not None and c not in self.ids[kind]}
        if missing:
            self.ids[kind].update(_existing(self.session, kind, missing))

    def id(self, kind: str, code: str | None) -> int | None:
        if code is None:
            return None
        self.need(kind, [code])
        return self.ids[kind][code]

    def upsert(self, section: str, table: type, key: str, items: list[tuple[str, dict]], kind: str,
               on_create: Callable[[str], dict] | None = None) -> dict[str, Any]:
        """Creates or updates rows by ``key``; returns them by key (flushed, with ids)."""
        column = getattr(table, key)
        rows: dict[str, Any] = {}
        for chunk in _chunks([k for k, _ in items]):
            rows.update((getattr(r, key), r) for r in self.session.scalars(select(table).where(column.in_(chunk))))
        for code, values in items:
            row = rows.get(code)
            if row is None:
                row = rows[code] = table(**{key: code}, **values, **(on_create(code) if on_create else {}))
                self.session.add(row)
                self.summary.add(section, "created")
            else:
                changed = [k for k, v in values.items() if getattr(row, k) != v]
                for k in changed:
                    setattr(row, k, values[k])
                self.summary.add(section, "updated" if changed else "unchanged")
            self.tick()
        self.session.flush()
        self.ids[kind].update((code, row.id) for code, row in rows.items())
        return rows

    # sections

    def bodies(self) -> None:
        entries = {v.code: v for v in self.values("bodies")}
        depth: dict[str, int] = {}

        def depth_of(code: str) -> int:  # the file has no cycles (checked)
            if code not in depth:
                parent = entries[code].parent
                depth[code] = depth_of(parent) + 1 if parent in entries else 0
            return depth[code]

        for code in entries:
            depth_of(code)
        for level in sorted(set(depth.values())):  # parents are written (and have ids) before children
            group = [v for v in entries.values() if depth[v.code] == level]
            self.need("body", [v.parent for v in group])
            self.upsert("bodies", Body, "code", [(v.code, {
                "name": v.name, "name_en": v.name_en, "short_name": v.short_name, "level": v.level,
                "parent_id": self.ids["body"].get(v.parent) if v.parent else None, "place": v.place,
                "document_symbol": v.document_symbol}) for v in group], "body")

    def clusters(self) -> None:
        clusters = self.values("clusters")
        self.upsert("clusters", Cluster, "code", [(v.code, {"name": v.name, "kind": v.kind,
                                                            "council_id": self.id("council", v.council)})
                                                  for v in clusters], "cluster")
        self.need("body", [m for v in clusters for m in v.members])
        ids = [self.ids["cluster"][v.code] for v in clusters]
        have: dict[int, dict[int, ClusterMembership]] = defaultdict(dict)
        for chunk in _chunks(ids):
            for m in self.session.scalars(select(ClusterMembership).where(ClusterMembership.cluster_id.in_(chunk))):
                have[m.cluster_id][m.body_id] = m
        for v in clusters:
            cluster_id = self.ids["cluster"][v.code]
            want = {self.ids["body"][m] for m in v.members}
            for body_id, membership in have[cluster_id].items():
                if body_id not in want:
                    self.session.delete(membership)
                    self.summary.add("memberships", "removed")
            for body_id in want:
                if body_id in have[cluster_id]:
                    self.summary.add("memberships", "unchanged")
                else:
                    self.session.add(ClusterMembership(cluster_id=cluster_id, body_id=body_id))
                    self.summary.add("memberships", "created")
        self.session.flush()

    def users(self) -> None:
        users = self.values("users")
        self.need("person", [v.person for v in users])
        given = {v.username: v.password for v in users}

        def new_user(username: str) -> dict:
            password = given[username]
            if password is None:
                password = self.summary.passwords[username] = secrets.token_urlsafe(12)
            return {"password_hash": self.hash_password(password)}

        self.upsert("users", User, "username", [(v.username, {
            "display_name": v.name, "email": v.email, "person_id": self.id("person", v.person), "active": v.active})
            for v in users], "user", on_create=new_user)

    def roles(self) -> None:
        lines = self.values("roles")
        self.need("user", self.data.roles_given)
        for scope in _SCOPES:
            self.need(scope, [getattr(v, scope) for v in lines])
        want: dict[int, list[tuple]] = {self.ids["user"][u]: [] for u in self.data.roles_given}
        for v in lines:
            scope = next((s for s in _SCOPES if getattr(v, s) is not None), None)
            want[self.ids["user"][v.username]].append(
                (v.role, scope or "global", self.ids[scope][getattr(v, scope)] if scope else None,
                 v.valid_from, v.valid_to))
        have: dict[int, list[RoleAssignment]] = defaultdict(list)
        for chunk in _chunks(sorted(want)):
            for a in self.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id.in_(chunk))
                                          .order_by(RoleAssignment.id)):
                have[a.user_id].append(a)
        for user_id, wanted in want.items():
            left = Counter(wanted)
            for a in have[user_id]:
                key = (a.role, a.scope_kind, a.scope_id, a.valid_from, a.valid_to)
                if left[key] > 0:
                    left[key] -= 1
                    self.summary.add("roles", "unchanged")
                else:
                    self.session.delete(a)
                    self.summary.add("roles", "removed")
            for (role, kind, scope_id, valid_from, valid_to), n in left.items():
                for _ in range(n):
                    self.session.add(RoleAssignment(user_id=user_id, role=role, scope_kind=kind, scope_id=scope_id,
                                                    valid_from=valid_from, valid_to=valid_to))
                    self.summary.add("roles", "created")
        self.tick(len(lines))
        self.session.flush()

    def delegations(self) -> None:
        items = self.values("delegations")
        self.need("user", [u for v in items for u in (v.principal, v.deputy)])
        principals = sorted({self.ids["user"][v.principal] for v in items})
        have: dict[tuple, Delegation] = {}
        for chunk in _chunks(principals):
            for d in self.session.scalars(select(Delegation).where(Delegation.principal_id.in_(chunk))):
                have.setdefault((d.principal_id, d.deputy_id, d.starts, d.ends), d)
        for v in items:
            key = (self.ids["user"][v.principal], self.ids["user"][v.deputy], v.starts, v.ends)
            row = have.get(key)
            if row is None:
                self.session.add(Delegation(principal_id=key[0], deputy_id=key[1], starts=v.starts, ends=v.ends,
                                            note=v.note))
                self.summary.add("delegations", "created")
            elif row.note != v.note:
                row.note = v.note
                self.summary.add("delegations", "updated")
            else:
                self.summary.add("delegations", "unchanged")
            self.tick()
        self.session.flush()

    def leadership(self) -> None:
        for v in self.values("leadership"):
            key = (self.id("cluster", v.cluster), self.id("period", v.period))
            head, deputy = self.id("body", v.head), self.id("body", v.deputy)
            row = self.session.get(ClusterLeadership, key)
            if row is None:
                self.session.add(ClusterLeadership(cluster_id=key[0], period_id=key[1], head_body_id=head,
                                                   deputy_body_id=deputy))
                self.summary.add("leadership", "created")
            elif (row.head_body_id, row.deputy_body_id) != (head, deputy):
                row.head_body_id, row.deputy_body_id = head, deputy
                self.summary.add("leadership", "updated")
            else:
                self.summary.add("leadership", "unchanged")
            self.tick()
        self.session.flush()

    def periods_ends(self, codes: Iterable[str]) -> dict[str, date]:
        self.need("period", codes)
        ids = sorted({self.ids["period"][c] for c in codes})
        ends: dict[int, date] = {}
        for chunk in _chunks(ids):
            ends.update(self.session.execute(select(Period.id, Period.ends).where(Period.id.in_(chunk))).all())
        return {code: ends[self.ids["period"][code]] for code in codes}

    def awards(self) -> None:
        items = self.values("awards")
        if not items:
            return
        ends = self.periods_ends({v.period for v in items})
        self.need("person", [p for v in items for p in v.people])
        self.need("body", [u for v in items for u in v.units])
        period_ids = sorted({self.ids["period"][v.period] for v in items})
        held: set[tuple] = set()
        for chunk in _chunks(period_ids):
            held.update(tuple(r) for r in self.session.execute(
                select(AwardRecord.award_code, AwardRecord.period_id, AwardRecord.person_id, AwardRecord.body_id)
                .where(AwardRecord.period_id.in_(chunk))))
        for v in items:
            period_id = self.ids["period"][v.period]
            holders = [(self.ids["person"][p], None) for p in v.people] + [(None, self.ids["body"][u]) for u in v.units]
            for person_id, body_id in holders:
                key = (v.award, period_id, person_id, body_id)
                if key in held:
                    self.summary.add("awards", "unchanged")
                else:
                    held.add(key)
                    self.session.add(AwardRecord(award_code=v.award, period_id=period_id, person_id=person_id,
                                                 body_id=body_id, awarded_on=v.awarded_on or ends[v.period],
                                                 decision_number=v.decision))
                    self.summary.add("awards", "created")
                self.tick()
        self.session.flush()

    def history(self, section: str, table: type, on: str, extra: str) -> None:
        """Initiatives and discipline: added unless an identical record is there."""
        items = self.values(section)
        if not items:
            return
        self.need("person", [v.person for v in items])
        self.need("period", [v.period for v in items])
        period_ids = sorted({self.ids["period"][v.period] for v in items})
        columns = (table.person_id, table.period_id, table.level, getattr(table, on), getattr(table, extra))
        have: set[tuple] = set()
        for chunk in _chunks(period_ids):
            have.update(tuple(r) for r in self.session.execute(select(*columns).where(table.period_id.in_(chunk))))
        for v in items:
            values = {"person_id": self.ids["person"][v.person], "period_id": self.ids["period"][v.period],
                      "level": v.level, on: getattr(v, on), extra: getattr(v, extra)}
            key = tuple(values[c.key] for c in columns)
            if key in have:
                self.summary.add(section, "unchanged")
            else:
                have.add(key)
                self.session.add(table(**values))
                self.summary.add(section, "created")
            self.tick()
        self.session.flush()


# --- exporting --------------------------------------------------------------------------------

def export_organisation(session: Session, path: Path) -> dict[str, int]:
    """Writes the organisation in the database to ``path``: YAML (.yaml/.yml), a workbook
    (.xlsx), or a folder of CSV files (a path without suffix). No passwords; revoked awards
    are left out. Returns how many records each section holds."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".xlsx", ""):
        raise DomainError("Chỉ xuất ra được tệp .yaml, .xlsx hoặc một thư mục (các tệp .csv)",
                          "export to a .yaml or .xlsx file, or to a folder (a path without suffix) for CSV files: "
                          "a single CSV file holds one section only")
    doc = _snapshot(session)
    if suffix in (".yaml", ".yml"):
        _write_yaml(path, doc)
    elif suffix == ".xlsx":
        _write_xlsx(path, doc)
    else:
        _write_csv(path, doc)
    return {section: len(rows) for section, rows in doc.items()}


def _snapshot(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every section as rows (field → value), in a stable order; lists for members and holders."""
    body_code = dict(session.execute(select(Body.id, Body.code)).all())
    council_code = dict(session.execute(select(Council.id, Council.code)).all())
    cluster_code = dict(session.execute(select(Cluster.id, Cluster.code)).all())
    period_code = dict(session.execute(select(Period.id, Period.code)).all())
    person_code = dict(session.execute(select(Person.id, Person.code)).all())
    user_name = dict(session.execute(select(User.id, User.username)).all())
    doc: dict[str, list[dict[str, Any]]] = {}

    bodies = list(session.scalars(select(Body).order_by(Body.code)))
    children: dict[int | None, list[Body]] = defaultdict(list)
    for b in bodies:
        children[b.parent_id if b.parent_id in body_code else None].append(b)
    ordered: list[Body] = []
    seen: set[int] = set()

    def visit(b: Body) -> None:  # parents first, then their children by code
        if b.id not in seen:
            seen.add(b.id)
            ordered.append(b)
            for child in children[b.id]:
                visit(child)

    for b in children[None] + bodies:
        visit(b)
    doc["bodies"] = [{"code": b.code, "name": b.name, "name_en": b.name_en, "short_name": b.short_name,
                      "level": b.level, "parent": body_code.get(b.parent_id), "place": b.place,
                      "document_symbol": b.document_symbol} for b in ordered]
    doc["councils"] = [{"code": c.code, "name": c.name, "body": body_code[c.body_id]}
                       for c in session.scalars(select(Council).order_by(Council.code))]
    members: dict[int, list[str]] = defaultdict(list)
    for m in session.scalars(select(ClusterMembership)):
        members[m.cluster_id].append(body_code[m.body_id])
    doc["clusters"] = [{"code": c.code, "name": c.name, "council": council_code[c.council_id], "kind": c.kind,
                        "members": sorted(members[c.id])}
                       for c in session.scalars(select(Cluster).order_by(Cluster.code))]
    doc["periods"] = [{"code": p.code, "name": p.name, "kind": p.kind, "year": p.year, "starts": p.starts,
                       "ends": p.ends, "submission_opens": p.submission_opens,
                       "submission_closes": p.submission_closes}
                      for p in session.scalars(select(Period).order_by(Period.code))]
    doc["people"] = [{"code": p.code, "name": p.full_name, "position": p.position, "unit": body_code[p.body_id]}
                     for p in session.scalars(select(Person).order_by(Person.code))]
    doc["users"] = [{"username": u.username, "name": u.display_name, "email": u.email,
                     "person": person_code.get(u.person_id), "active": u.active}
                    for u in session.scalars(select(User).order_by(User.username))]
    scope_code = {"body": body_code, "cluster": cluster_code, "council": council_code}
    roles = []
    for a in session.scalars(select(RoleAssignment)):
        if a.user_id not in user_name:
            continue
        row = {"username": user_name[a.user_id], "role": a.role, "body": None, "cluster": None, "council": None,
               "valid_from": a.valid_from, "valid_to": a.valid_to}
        if a.scope_kind in scope_code:
            row[a.scope_kind] = scope_code[a.scope_kind].get(a.scope_id)
        roles.append(row)
    doc["roles"] = sorted(roles, key=lambda r: tuple(str(r[k] or "") for k in _columns("roles")))
    doc["delegations"] = sorted(({"principal": user_name[d.principal_id], "deputy": user_name[d.deputy_id],
                                  "starts": d.starts, "ends": d.ends, "note": d.note}
                                 for d in session.scalars(select(Delegation))),
                                key=lambda r: (r["principal"], r["deputy"], r["starts"], r["ends"]))
    doc["leadership"] = sorted(({"cluster": cluster_code[x.cluster_id], "period": period_code[x.period_id],
                                 "head": body_code[x.head_body_id], "deputy": body_code.get(x.deputy_body_id)}
                                for x in session.scalars(select(ClusterLeadership))),
                               key=lambda r: (r["cluster"], r["period"]))
    groups: dict[tuple, list[str]] = defaultdict(list)
    for r in session.scalars(select(AwardRecord).where(AwardRecord.revoked_by_decision_id.is_(None))):
        if r.person_id is not None:
            groups[(period_code[r.period_id], r.award_code, "people", r.awarded_on, r.decision_number or "")].append(
                person_code[r.person_id])
        elif r.body_id is not None:
            groups[(period_code[r.period_id], r.award_code, "units", r.awarded_on, r.decision_number or "")].append(
                body_code[r.body_id])
    doc["awards"] = [{"award": award, "period": period, "people": sorted(holders) if kind == "people" else [],
                      "units": sorted(holders) if kind == "units" else [], "awarded_on": on,
                      "decision": decision or None}
                     for (period, award, kind, on, decision), holders in sorted(groups.items())]
    doc["initiatives"] = sorted(({"person": person_code[i.person_id], "period": period_code[i.period_id],
                                  "level": i.level, "recognised_on": i.recognised_on, "title": i.title}
                                 for i in session.scalars(select(Initiative))),
                                key=lambda r: (r["period"], r["person"], r["recognised_on"], r["title"]))
    doc["discipline"] = sorted(({"person": person_code[d.person_id], "period": period_code[d.period_id],
                                 "level": d.level, "decided_on": d.decided_on, "note": d.note}
                                for d in session.scalars(select(Discipline))),
                               key=lambda r: (r["period"], r["person"], r["decided_on"], r["level"], r["note"] or ""))
    return doc


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=1 << 30).strip()


def _yaml_item(row: dict[str, Any]) -> dict[str, Any]:
    """A row as written in YAML: no empty values, lists only when they hold something,
    ``active`` only when false."""
    return {k: v for k, v in row.items() if v is not None and v != [] and not (k == "active" and v is True)}


def _write_yaml(path: Path, doc: dict[str, list[dict[str, Any]]]) -> None:
    roles: dict[str, list[dict]] = defaultdict(list)
    for row in doc["roles"]:
        roles[row["username"]].append({k: v for k, v in row.items() if k != "username" and v is not None})
    out = ["# Organisation exported by Laurel. Import it with: flask --app web org import FILE",
           "# (see definitions/README.md, 'Organisation files'). Passwords are never exported.",
           f"version: {FORMAT_VERSION}"]

    def section(name: str, rows: list[dict], indent: str) -> None:
        if not rows:
            out.append(f"{indent}{name}: []")
            return
        out.append(f"{indent}{name}:")
        out.extend(f"{indent}  - {_flow(row)}" for row in rows)

    for name in SECTIONS:
        if name == "roles" or name in HISTORY:
            continue
        rows = [_yaml_item(r) for r in doc[name]]
        if name == "users":
            rows = [{**r, "roles": roles.get(r["username"], [])} for r in rows]
        section(name, rows, "")
    out.append("history:")
    for name in HISTORY:
        section(name, [_yaml_item(r) for r in doc[name]], "  ")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _tabular(doc: dict[str, list[dict[str, Any]]], section: str) -> Iterator[list[Any]]:
    """A section's rows as cells; an award's holders are split over several rows when they
    would not fit in one cell."""
    for row in doc[section]:
        if section == "awards":
            kind = "people" if row["people"] else "units"
            chunk: list[str] = []
            for code in row[kind] + [None]:
                if code is None or sum(len(c) + 2 for c in chunk) + len(code) > _CELL_LIMIT:
                    if chunk:
                        yield [("; ".join(chunk) if k == kind else (None if k in _LISTS else row[k]))
                               for k in _columns(section)]
                    chunk = []
                if code is not None:
                    chunk.append(code)
            continue
        yield [("; ".join(row[k]) if k in _LISTS else row[k]) for k in _columns(section)]


def _write_xlsx(path: Path, doc: dict[str, list[dict[str, Any]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in SECTIONS:
        sheet = workbook.create_sheet(section)
        columns = _columns(section)
        sheet.append(columns)
        widths = [len(c) for c in columns]
        for cells in _tabular(doc, section):
            sheet.append(cells)
            widths = [max(w, len(_cell_text(c)) if c is not None else 0) for w, c in zip(widths, cells)]
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, width in enumerate(widths):
            sheet.column_dimensions[_letter(index)].width = min(width + 2, 60)
            if columns[index] in _DATES:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _write_csv(folder: Path, doc: dict[str, list[dict[str, Any]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for section in SECTIONS:
        with open(folder / f"{section}.csv", "w", encoding="utf-8-sig", newline="") as f:  # the BOM tells Excel
            writer = csv.writer(f)
            writer.writerow(_columns(section))
            for cells in _tabular(doc, section):
                writer.writerow(["" if c is None else _cell_text(c) for c in cells])
