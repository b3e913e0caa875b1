"""Applying an organisation file: once checked, every section is upserted by natural key (codes,
user names) in the caller's transaction, touching only what differs, so importing one file
twice changes nothing. ``ImportSummary`` says what changed; ``ImportRefused`` lists why
nothing was written."""

from __future__ import annotations

import logging
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...yamlsource import Problem
from ..catalogue import Catalogue
from ..errors import DomainError
from ..models import (AwardRecord, Body, Cluster, ClusterLeadership, ClusterMembership, Council, Delegation,
                      Discipline, Initiative, Period, Person, RoleAssignment, User)
from .checks import check_organisation
from .lookup import KINDS, SCOPES, existing, select_in
from .records import OrgData
from .schema import SECTIONS

__all__ = ["apply_organisation", "ImportRefused", "ImportSummary"]

log = logging.getLogger(__name__)

_PROGRESS_EVERY = 100  # records between two progress calls
_ROLE_KEY = ("role", "scope_kind", "scope_id", "valid_from", "valid_to")
"""What tells two role assignments of a user apart."""


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
        self.ids: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}

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
            self.ids[kind].update(existing(self.session, kind, missing))

    def id(self, kind: str, code: str | None) -> int | None:
        if code is None:
            return None
        self.need(kind, [code])
        return self.ids[kind][code]

    def save(self, section: str, row: Any, values: dict[str, Any], create: Callable[[], Any]) -> Any:
        """Adds ``create()`` when ``row`` is None, or else sets the ``values`` that differ; counts it."""
        if row is None:
            row = create()
            self.session.add(row)
            self.summary.add(section, "created")
        else:
            changed = [k for k, v in values.items() if getattr(row, k) != v]
            for k in changed:
                setattr(row, k, values[k])
            self.summary.add(section, "updated" if changed else "unchanged")
        self.tick()
        return row

    def upsert(self, section: str, table: type, key: str, items: list[tuple[str, dict]], kind: str,
               on_create: Callable[[str], dict] | None = None) -> None:
        """Creates or updates rows by ``key``, and notes their ids."""
        column = getattr(table, key)
        rows = {getattr(r, key): r for r in select_in(self.session, select(table), column, [k for k, _ in items],
                                                      scalars=True)}
        for code, values in items:
            rows[code] = self.save(section, rows.get(code), values, lambda: table(
                **{key: code}, **values, **(on_create(code) if on_create else {})))
        self.session.flush()
        self.ids[kind].update((code, row.id) for code, row in rows.items())

    def replace(self, section: str, have: Iterable[tuple[Hashable, Any]], want: Iterable[Hashable],
                create: Callable[[Any], Any]) -> None:
        """Makes the rows ``have`` (key, row) match the keys ``want``, repeats counted: keeps the
        rows wanted, deletes the others, adds ``create(key)`` for the keys missing."""
        left = Counter(want)
        for key, row in have:
            if left[key] > 0:
                left[key] -= 1
                self.summary.add(section, "unchanged")
            else:
                self.session.delete(row)
                self.summary.add(section, "removed")
        for key, n in left.items():
            for _ in range(n):
                self.session.add(create(key))
                self.summary.add(section, "created")

    def add_missing(self, section: str, table: type, key: Sequence[str], records: list[dict[str, Any]]) -> None:
        """Adds each record unless one with the same ``key`` fields is there (for the records' periods)."""
        have = set(map(tuple, select_in(self.session, select(*(getattr(table, k) for k in key)), table.period_id,
                                        sorted({r["period_id"] for r in records}))))
        for values in records:
            found = tuple(values[k] for k in key)
            if found in have:
                self.summary.add(section, "unchanged")
            else:
                have.add(found)
                self.session.add(table(**values))
                self.summary.add(section, "created")
            self.tick()
        self.session.flush()

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
        have: dict[int, dict[int, ClusterMembership]] = defaultdict(dict)
        for m in select_in(self.session, select(ClusterMembership), ClusterMembership.cluster_id,
                           [self.ids["cluster"][v.code] for v in clusters], scalars=True):
            have[m.cluster_id][m.body_id] = m
        for v in clusters:
            cluster_id = self.ids["cluster"][v.code]
            self.replace("memberships", have[cluster_id].items(), {self.ids["body"][m] for m in v.members},
                         lambda body_id: ClusterMembership(cluster_id=cluster_id, body_id=body_id))
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
        for scope in SCOPES:
            self.need(scope, [getattr(v, scope) for v in lines])
        want: dict[int, list[tuple]] = {self.ids["user"][u]: [] for u in self.data.roles_given}
        for v in lines:
            scope = next((s for s in SCOPES if getattr(v, s) is not None), None)
            want[self.ids["user"][v.username]].append(
                (v.role, scope or "global", self.ids[scope][getattr(v, scope)] if scope else None,
                 v.valid_from, v.valid_to))
        have: dict[int, list[RoleAssignment]] = defaultdict(list)
        for a in select_in(self.session, select(RoleAssignment).order_by(RoleAssignment.id), RoleAssignment.user_id,
                           sorted(want), scalars=True):
            have[a.user_id].append(a)
        for user_id, wanted in want.items():
            self.replace("roles", [(tuple(getattr(a, k) for k in _ROLE_KEY), a) for a in have[user_id]], wanted,
                         lambda key: RoleAssignment(user_id=user_id, **dict(zip(_ROLE_KEY, key))))
        self.tick(len(lines))
        self.session.flush()

    def delegations(self) -> None:
        items = self.values("delegations")
        self.need("user", [u for v in items for u in (v.principal, v.deputy)])
        have: dict[tuple, Delegation] = {}
        for d in select_in(self.session, select(Delegation), Delegation.principal_id,
                           sorted({self.ids["user"][v.principal] for v in items}), scalars=True):
            have.setdefault((d.principal_id, d.deputy_id, d.starts, d.ends), d)
        for v in items:
            key = {"principal_id": self.ids["user"][v.principal], "deputy_id": self.ids["user"][v.deputy],
                   "starts": v.starts, "ends": v.ends}
            self.save("delegations", have.get(tuple(key.values())), {"note": v.note},
                      lambda: Delegation(**key, note=v.note))
        self.session.flush()

    def leadership(self) -> None:
        for v in self.values("leadership"):
            key = {"cluster_id": self.id("cluster", v.cluster), "period_id": self.id("period", v.period)}
            values = {"head_body_id": self.id("body", v.head), "deputy_body_id": self.id("body", v.deputy)}
            self.save("leadership", self.session.get(ClusterLeadership, tuple(key.values())), values,
                      lambda: ClusterLeadership(**key, **values))
        self.session.flush()

    def awards(self) -> None:
        """One record per holder; ``awarded_on`` defaults to the last day of the period."""
        items = self.values("awards")
        self.need("period", [v.period for v in items])
        self.need("person", [p for v in items for p in v.people])
        self.need("body", [u for v in items for u in v.units])
        ends = dict(select_in(self.session, select(Period.id, Period.ends), Period.id,
                              sorted({self.ids["period"][v.period] for v in items})))
        records = []
        for v in items:
            period_id = self.ids["period"][v.period]
            holders = [(self.ids["person"][p], None) for p in v.people] + [(None, self.ids["body"][u]) for u in v.units]
            records += [{"award_code": v.award, "period_id": period_id, "person_id": person_id, "body_id": body_id,
                         "awarded_on": v.awarded_on or ends[period_id], "decision_number": v.decision}
                        for person_id, body_id in holders]
        self.add_missing("awards", AwardRecord, ("award_code", "period_id", "person_id", "body_id"), records)

    def history(self, section: str, table: type, on: str, extra: str) -> None:
        """Initiatives and discipline: added unless an identical record is there."""
        items = self.values(section)
        self.need("person", [v.person for v in items])
        self.need("period", [v.period for v in items])
        self.add_missing(section, table, ("person_id", "period_id", "level", on, extra), [
            {"person_id": self.ids["person"][v.person], "period_id": self.ids["period"][v.period],
             "level": v.level, on: getattr(v, on), extra: getattr(v, extra)} for v in items])
