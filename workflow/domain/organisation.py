"""Who may act on what: roles scoped to a unit, a cluster or a council, delegation, and
which council hears an award.

Roles come from assignments (``RoleAssignment``) valid on the day, and two are derived from a
period's cluster election: the head of the unit elected cluster head (cụm trưởng) acts as
``cluster_head``, likewise ``cluster_deputy``; heads and officers of every member unit are
``cluster_member``. A deputy acting for someone (``Delegation``) holds that person's roles, and
the audit records both names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..actor import Actor
from .catalogue import Catalogue
from .errors import DomainError, NotAllowed
from .models import (Body, Cluster, ClusterLeadership, ClusterMembership, Council, Decision, Delegation,
                     Nomination, RoleAssignment, User)

__all__ = ["ancestors", "council_for", "cluster_ids_of", "RoleBook", "roles_for", "actor_for", "active_delegation",
           "scope_of",
           "UNIT_ROLES", "COUNCIL_ROLES"]

UNIT_ROLES = frozenset({"unit_officer", "unit_head"})
COUNCIL_ROLES = frozenset({"secretariat", "council_member", "chair", "clerk"})


def ancestors(session: Session, body_id: int) -> list[Body]:
    """The body and the bodies above it, nearest first."""
    chain: list[Body] = []
    seen: set[int] = set()
    current = session.get(Body, body_id)
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id)
        current = session.get(Body, current.parent_id) if current.parent_id else None
    return chain


def council_for(session: Session, catalogue: Catalogue, body_id: int, award_code: str) -> Council:
    """The nearest council at or above ``body_id`` whose body is at the award's level or higher."""
    award = catalogue.award(award_code)
    needed = catalogue.level_rank[award.level]
    for body in ancestors(session, body_id):
        council = session.scalar(select(Council).where(Council.body_id == body.id))
        if council is not None and catalogue.level_rank.get(body.level, -1) >= needed:
            return council
    level = catalogue.schema.levels[award.level]
    raise DomainError(f"Không có Hội đồng {level.vi.lower()} nào trên đơn vị này để xét “{award.name.vi}”",
                      f"No council at {level.en.lower()} above this unit hears “{award.name.en}”")


def cluster_ids_of(session: Session, body_id: int) -> list[int]:
    return list(session.scalars(select(ClusterMembership.cluster_id).where(ClusterMembership.body_id == body_id)))


def _valid_on(on: date):
    return (or_(RoleAssignment.valid_from.is_(None), RoleAssignment.valid_from <= on),
            or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= on))


class RoleBook:
    """One user's roles on one day, read once, for as many items as a page shows.

    ``roles(...)`` answers for an item of a unit, its clusters and a council in a period;
    the scopes (``bodies``, ``councils``, ``cluster_ids``) say where the user has any role at all.
    """

    def __init__(self, session: Session, user_id: int, on: date):
        self.session, self.user_id, self.on = session, user_id, on
        self.assignments = list(session.scalars(select(RoleAssignment).where(
            RoleAssignment.user_id == user_id, *_valid_on(on))))
        self.global_roles = {a.role for a in self.assignments if a.scope_kind == "global"}
        self.unit_heads = {a.scope_id for a in self.assignments if a.scope_kind == "body" and a.role == "unit_head"}
        self.unit_people = {a.scope_id for a in self.assignments if a.scope_kind == "body" and a.role in UNIT_ROLES}
        self._members: dict[int, set[int]] = {}
        self._leaders: dict[tuple[int, int], ClusterLeadership | None] = {}

    def _scoped(self, kind: str, scope_id: int | None) -> set[str]:
        return {a.role for a in self.assignments if a.scope_kind == kind and a.scope_id == scope_id}

    def members(self, cluster_id: int) -> set[int]:
        if cluster_id not in self._members:
            self._members[cluster_id] = set(self.session.scalars(
                select(ClusterMembership.body_id).where(ClusterMembership.cluster_id == cluster_id)))
        return self._members[cluster_id]

    def _leadership(self, cluster_id: int, period_id: int) -> ClusterLeadership | None:
        if (cluster_id, period_id) not in self._leaders:
            self._leaders[(cluster_id, period_id)] = self.session.get(ClusterLeadership, (cluster_id, period_id))
        return self._leaders[(cluster_id, period_id)]

    def roles(self, *, body_id: int | None = None, cluster_ids: Iterable[int] = (), council_id: int | None = None,
              period_id: int | None = None) -> frozenset[str]:
        roles = set(self.global_roles)
        if body_id is not None:
            roles |= self._scoped("body", body_id)
        if council_id is not None:
            roles |= self._scoped("council", council_id)
        for cluster_id in cluster_ids:
            roles |= self._scoped("cluster", cluster_id)
            if self.members(cluster_id) & self.unit_people:
                roles.add("cluster_member")
            leadership = self._leadership(cluster_id, period_id) if period_id else None
            if leadership is not None:
                if leadership.head_body_id in self.unit_heads:
                    roles.add("cluster_head")
                if leadership.deputy_body_id in self.unit_heads:
                    roles.add("cluster_deputy")
        return frozenset(roles)

    @property
    def bodies(self) -> set[int]:
        return {a.scope_id for a in self.assignments if a.scope_kind == "body"}

    @property
    def councils(self) -> set[int]:
        return {a.scope_id for a in self.assignments if a.scope_kind == "council"}

    def cluster_ids(self) -> set[int]:
        """Clusters the user speaks in: as a member unit's head or officer, or by assignment."""
        assigned = {a.scope_id for a in self.assignments if a.scope_kind == "cluster"}
        if not self.unit_people:
            return assigned
        return assigned | set(self.session.scalars(select(ClusterMembership.cluster_id).where(
            ClusterMembership.body_id.in_(self.unit_people))))


def roles_for(session: Session, user_id: int, *, on: date, body_id: int | None = None,
              cluster_ids: Iterable[int] = (), council_id: int | None = None, period_id: int | None = None
              ) -> frozenset[str]:
    """The roles ``user_id`` holds on ``on`` for an item of ``body_id`` (a unit), its clusters
    and ``council_id``, in ``period_id`` (for the clusters' elected head and deputy)."""
    return RoleBook(session, user_id, on).roles(body_id=body_id, cluster_ids=cluster_ids, council_id=council_id,
                                                period_id=period_id)


def active_delegation(session: Session, deputy_id: int, principal_id: int, on: date) -> Delegation | None:
    return session.scalar(select(Delegation).where(
        Delegation.deputy_id == deputy_id, Delegation.principal_id == principal_id,
        Delegation.starts <= on, Delegation.ends >= on))


def scope_of(session: Session, subject: Nomination | Decision | Cluster) -> dict:
    if isinstance(subject, Nomination):
        return {"body_id": subject.proposer_body_id, "cluster_ids": cluster_ids_of(session, subject.proposer_body_id),
                "council_id": subject.council_id, "period_id": subject.period_id}
    if isinstance(subject, Decision):
        return {"council_id": subject.council_id, "period_id": subject.period_id}
    return {"cluster_ids": [subject.id], "council_id": subject.council_id}


def actor_for(session: Session, user: User, subject: Nomination | Decision, *, on: date,
              acting_for: User | None = None) -> Actor:
    """The engine's actor for ``user`` acting on ``subject`` — for themselves, or for
    ``acting_for`` under a delegation valid on ``on``."""
    principal = user
    if acting_for is not None and acting_for.id != user.id:
        if active_delegation(session, user.id, acting_for.id, on) is None:
            raise NotAllowed(f"{user.display_name} không được ủy quyền thay {acting_for.display_name} vào ngày này",
                             f"{user.display_name} holds no delegation from {acting_for.display_name} on that day")
        principal = acting_for
    roles = roles_for(session, principal.id, on=on, **scope_of(session, subject))
    return Actor(id=str(user.id), roles=roles, name=user.display_name,
                 acting_for=str(principal.id) if principal is not user else None)
