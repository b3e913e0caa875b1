"""The shape of an organisation file: its sections, the pydantic model of each section's
records, and the columns of each section's sheet. Shared by YAML and tables; checks structure
and types only (the meaning is checked in ``checks.py``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, model_validator

from ...schema import Strict
from ..text import CONTROL_CHARACTERS, nfc

FORMAT_VERSION = 1
"""The version of the organisation format written by ``export_organisation`` (YAML key ``version``)."""

SECTIONS = ("bodies", "councils", "clusters", "periods", "people", "users", "roles", "delegations", "leadership",
            "awards", "initiatives", "discipline")
"""Every section, in the order they are applied. In YAML, users carry their roles and the last
three sit under ``history``; in a table each is a sheet (or CSV file) of its own."""
HISTORY = ("awards", "initiatives", "discipline")

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@\-]*")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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
    if not EMAIL.fullmatch(value):
        raise ValueError(f"'{value}' is not an email address")
    return value


def _plain(value: str) -> str:
    """Text without control characters (PostgreSQL cannot even store a NUL)."""
    found = CONTROL_CHARACTERS.search(value)
    if found:
        raise ValueError(f"holds a control character (U+{ord(found.group()):04X}): remove it")
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
                     AfterValidator(_plain), AfterValidator(nfc)]


Code = Annotated[str, BeforeValidator(_identifier(CODE, "code")), StringConstraints(max_length=64)]
PeriodCode = Annotated[str, BeforeValidator(_identifier(CODE, "code")), StringConstraints(max_length=32)]
Username = Annotated[str, BeforeValidator(_identifier(USERNAME, "user name")), StringConstraints(max_length=64)]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32), AfterValidator(_plain)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_plain),
                  AfterValidator(_email)]
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


def _distinct(first: str, second: str, message: str):
    """A model check: ``first`` and ``second`` differ; ``message`` is formatted with their value."""
    def check(self):
        if getattr(self, first) == getattr(self, second):
            raise ValueError(message.format(getattr(self, first)))
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
    _two_people = _distinct("principal", "deputy", "'{}' cannot act for themselves: the deputy must be someone else")


class LeadershipEntry(Strict):
    """The member units elected cluster head and deputy for a period."""

    cluster: Code
    period: PeriodCode
    head: Code
    deputy: Code | None = None

    _two_units = _distinct("head", "deputy", "'{}' cannot be both head and deputy")


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


MODELS: dict[str, type[Strict]] = {
    "bodies": BodyEntry, "councils": CouncilEntry, "clusters": ClusterEntry, "periods": PeriodEntry,
    "people": PersonEntry, "users": UserEntry, "roles": RoleLine, "delegations": DelegationEntry,
    "leadership": LeadershipEntry, "awards": AwardEntry, "initiatives": InitiativeEntry,
    "discipline": DisciplineEntry,
}
KEYS = {"bodies": "code", "councils": "code", "clusters": "code", "periods": "code", "people": "code",
        "users": "username"}
"""The natural key of the sections that others refer to."""


def columns(section: str) -> list[str]:
    """The columns of a section's sheet, in order (as exported)."""
    names = [n for n in MODELS[section].model_fields if n not in ("roles", "password")]
    return ["username"] + [n for n in names if n != "username"] if section == "roles" else names


def prefix(section: str) -> tuple:
    """Where a section's items sit in the YAML document."""
    return ("history", section) if section in HISTORY else (section,)
