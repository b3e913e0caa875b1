"""Checking what was read: records written twice in the file, and the meaning of the whole
against the award catalogue, the role vocabulary and the database — references, role scopes,
cycles of parent bodies, one council per body, cluster leaders among the cluster's members."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ...validation import unknown_name
from ...yamlsource import Problem
from ..catalogue import Catalogue
from ..models import Body, Cluster, ClusterMembership, Council
from ..organisation import COUNCIL_ROLES, UNIT_ROLES
from .lookup import KINDS, SCOPES, existing
from .records import OrgData
from .schema import RoleEntry

__all__ = ["check_organisation", "repeats", "role_scope"]


def repeats(data: OrgData) -> list[Problem]:
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


def role_scope(role: str) -> str | None:
    """Where ``role`` is held: 'body', 'council', 'cluster', None (global) or '' (anywhere)."""
    if role in UNIT_ROLES:
        return "body"
    if role in COUNCIL_ROLES:
        return "council"
    if role.startswith("cluster_"):
        return "cluster"
    return None if role == "admin" else ""


def _scope_problem(line: RoleEntry) -> str | None:
    given = [k for k in SCOPES if getattr(line, k) is not None]
    need = role_scope(line.role)
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


_REFERENCES = {  # section → its fields that name something, and the kind they name (in the order checked)
    "bodies": {"parent": "body"},
    "councils": {"body": "body"},
    "clusters": {"council": "council", "members": "body"},
    "people": {"unit": "body"},
    "users": {"person": "person"},
    "roles": {"username": "user", "body": "body", "cluster": "cluster", "council": "council"},
    "delegations": {"principal": "user", "deputy": "user"},
    "leadership": {"cluster": "cluster", "period": "period", "head": "body", "deputy": "body"},
    "awards": {"period": "period", "people": "person", "units": "body"},
    "initiatives": {"person": "person", "period": "period"},
    "discipline": {"person": "person", "period": "period"},
}


def check_organisation(session: Session, data: OrgData, *, catalogue: Catalogue,
                       role_names: Iterable[str]) -> list[Problem]:
    """The meaning of what was read: catalogue levels and awards, role names and scopes, every
    reference (to the file or to the database), cycles of parent bodies, one council per body,
    cluster leaders among the cluster's members. Returns the problems (the read problems not included)."""
    problems = _names(data, catalogue, set(role_names) - {"system"})
    unresolved = _references(session, data, problems)
    problems += _cycles(session, data)
    problems += _one_council_per_body(session, data)
    problems += _leaders_are_members(session, data, unresolved)
    return problems


def _names(data: OrgData, catalogue: Catalogue, roles: set[str]) -> list[Problem]:
    """Levels and awards from the catalogue, roles from the vocabulary, held where they belong."""
    problems: list[Problem] = []

    def name(loc: tuple, kind: str, value: str, known: Iterable[str]) -> None:
        known = list(known)
        if value not in known:
            problems.append(data.problem(loc, unknown_name(kind, value, known)))

    levels = catalogue.schema.levels
    for e in data["bodies"]:
        name(e.loc + ("level",), "level", e.value.level, levels)
    for e in data["roles"]:
        line = e.value
        if line.role == "system":
            problems.append(data.problem(e.loc + ("role",), "role 'system' is the scheduler's own; "
                                                            "it cannot be given to a user"))
        elif line.role not in roles:
            name(e.loc + ("role",), "role", line.role, roles)
        else:
            message = _scope_problem(line)
            if message:
                problems.append(data.problem(e.loc + ("role",), message))
    for e in data["awards"]:
        award = e.value
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
    for section, what, known_levels in (("initiatives", "level", levels),
                                        ("discipline", "discipline level", catalogue.schema.discipline)):
        for e in data[section]:
            name(e.loc + ("level",), what, e.value.level, known_levels)
    return problems


def _named(data: OrgData) -> Iterator[tuple[str, str, tuple]]:
    """Each reference in the file: the kind it names, the code, and where it is written."""
    for section, fields in _REFERENCES.items():
        for e in data[section]:
            for field, kind in fields.items():
                if field == "username" and e.loc[0] != "roles":
                    continue  # a YAML user's roles sit under the user: only a roles row names its user
                value = getattr(e.value, field)
                if isinstance(value, list):
                    yield from ((kind, code, e.loc + (field, k)) for k, code in enumerate(value))
                elif value is not None:
                    yield kind, value, e.loc + (field,)


def _references(session: Session, data: OrgData, problems: list[Problem]) -> set[tuple[str, str]]:
    """Adds a problem for each reference found neither in the file nor in the database, and
    returns those (kind, code)."""
    refs = list(_named(data))
    wanted: dict[str, set[str]] = defaultdict(set)
    for kind, code, _loc in refs:
        if code not in data.declared[KINDS[kind][2]]:
            wanted[kind].add(code)
    found = {kind: existing(session, kind, codes) for kind, codes in wanted.items()}
    unresolved: set[tuple[str, str]] = set()
    known: dict[str, set[str]] = {}  # for suggestions: codes in the file and (some) in the database
    for kind, code, loc in refs:
        if code in wanted[kind] and code not in found[kind]:
            unresolved.add((kind, code))
            _table, column, section = KINDS[kind]
            if kind not in known:
                known[kind] = data.declared[section] | set(session.scalars(select(column).limit(5000)))
            problems.append(data.problem(loc, unknown_name(kind, code, known[kind])))
    return unresolved


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
