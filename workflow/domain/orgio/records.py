"""What was read from an organisation file: each section's well-formed records (``Entry``)
with where they were written, and a ``Place`` that turns that location into a problem's
``file:line`` (YAML) or sheet row and column (tables)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ...yamlsource import Problem
from .schema import KEYS, SECTIONS, RoleEntry, RoleLine

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Entry(Generic[M]):
    """One item of a section, and where it was written (its path in the YAML document)."""

    value: M
    loc: tuple


class Place:
    """Says where a value was written: ``problem(loc, message)`` and ``where(loc)``."""

    def problem(self, loc: tuple, message: str) -> Problem:
        raise NotImplementedError

    def where(self, loc: tuple) -> str:
        raise NotImplementedError


@dataclass
class OrgData:
    """An organisation file, read: the well-formed items of each section with where they were
    written, the codes the file declares (well-formed or not), and the problems found so far."""

    path: str
    place: Place
    sections: dict[str, list[Entry]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    roles_given: set[str] = field(default_factory=set)   # users whose roles the file sets
    declared: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in KEYS})
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

    def declare(self, section: str, raw: Any) -> None:
        """Notes the code (or user name) of a raw item, well-formed or not, so that references
        to it are not reported as unknown."""
        key = KEYS.get(section)
        if key and isinstance(raw, dict) and isinstance(raw.get(key), (str, int)) and not isinstance(raw[key], bool):
            self.declared[section].add(str(raw[key]).strip())

    def add(self, section: str, value: BaseModel, loc: tuple) -> None:
        """A well-formed item; a YAML user's roles become rows of the roles section."""
        self.sections[section].append(Entry(value, loc))
        if section == "roles":
            self.roles_given.add(value.username)
        elif section == "users" and value.roles is not None:
            self.add_roles(value.username, enumerate(value.roles), loc)

    def add_roles(self, username: str, roles: Iterable[tuple[int, RoleEntry]], loc: tuple) -> None:
        """A YAML user's roles (by their index in the user's list), as rows of the roles sheet."""
        self.roles_given.add(username)
        for j, role in roles:
            self.sections["roles"].append(Entry(RoleLine.model_construct(username=username, **dict(role)),
                                                loc + ("roles", j)))

