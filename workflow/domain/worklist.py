"""What awaits a person: the nominations and decisions on which their roles let them act now.

An item awaits someone when its current state offers a transition one of their roles may take
(for themselves or for someone they act for under a delegation) — whatever its guards say, so
an incomplete dossier still shows as the officer's task. Deadlines and overdue items come
from the engine's instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..actor import SYSTEM_ROLE
from ..engine import Engine
from ..models import WorkflowInstance
from ..schema import Label
from .catalogue import Catalogue
from .models import (BallotCast, Body, ClusterMembership, CouncilSession, Decision, Delegation, Nomination, Person,
                     User)
from .organisation import RoleBook

__all__ = ["Task", "tasks_for", "visible_nominations", "can_view", "awaiting_actions"]


@dataclass(frozen=True)
class Task:
    kind: str  # nomination | decision | session (a ballot to cast)
    id: int
    title_vi: str
    title_en: str
    state: str
    state_label: Label
    actions: tuple[Label, ...]
    deadline_at: datetime | None
    overdue: bool
    acting_for: int | None = None  # the principal, when the task is theirs and the user is their deputy


def _principals(session: Session, user: User, on: date) -> list[int]:
    """The user, then everyone they act for on ``on``."""
    return [user.id] + list(session.scalars(select(Delegation.principal_id).where(
        Delegation.deputy_id == user.id, Delegation.starts <= on, Delegation.ends >= on)))


def _nominee(session: Session, nomination: Nomination) -> str:
    if nomination.person_id:
        return session.get(Person, nomination.person_id).full_name
    return session.get(Body, nomination.nominee_body_id).name


def visible_nominations(session: Session, book: RoleBook):
    """A query of the nominations in the user's units, councils and clusters (all, for an admin)."""
    query = select(Nomination)
    if "admin" in book.global_roles:
        return query
    clusters = book.cluster_ids()
    cluster_units = select(ClusterMembership.body_id).where(ClusterMembership.cluster_id.in_(clusters))
    return query.where(or_(Nomination.proposer_body_id.in_(book.bodies), Nomination.council_id.in_(book.councils),
                           Nomination.proposer_body_id.in_(cluster_units)))


def can_view(session: Session, user: User, nomination: Nomination, on: date) -> bool:
    """The nominee, anyone with a role in the nomination's unit, council or clusters, an admin."""
    if user.person_id is not None and user.person_id == nomination.person_id:
        return True
    book = RoleBook(session, user.id, on)
    return session.scalar(visible_nominations(session, book).where(Nomination.id == nomination.id)) is not None


def awaiting_actions(engine: Engine, session: Session, instance: WorkflowInstance,
                     roles: frozenset[str]) -> tuple[Label, ...]:
    """What the item awaits from someone holding ``roles``: the labels of its task actions."""
    spec = engine.spec_of(session, instance)
    labels = {}
    for trigger, candidates in spec.candidates[instance.state].items():
        for t in candidates:
            if t.task and roles.intersection(t.roles) - {SYSTEM_ROLE}:
                labels.setdefault(trigger, t.label)
    return tuple(labels.values())


def _ballots(session: Session, user: User, on: date) -> list[Task]:
    """Open sessions of the user's councils where they are a member and have not voted."""
    book = RoleBook(session, user.id, on)
    tasks = []
    for sitting in session.scalars(select(CouncilSession).where(CouncilSession.status == "open",
                                                                CouncilSession.council_id.in_(book.councils))):
        if "council_member" in book.roles(council_id=sitting.council_id) and \
                session.get(BallotCast, (sitting.id, user.id)) is None:
            vote = Label(vi="Bỏ phiếu", en="Vote")
            tasks.append(Task("session", sitting.id, sitting.title, sitting.title, "open",
                              Label(vi="Đang bỏ phiếu", en="Voting open"), (vote,), None, False))
    return tasks


def tasks_for(session: Session, engine: Engine, catalogue: Catalogue, user: User, now: datetime) -> list[Task]:
    """Everything awaiting ``user`` (or the people they act for), overdue first, then by deadline."""
    on = now.date()
    tasks: list[Task] = []
    seen: set[tuple[str, int]] = set()
    for principal in _principals(session, user, on):
        book = RoleBook(session, principal, on)
        for nomination, instance in session.execute(
                visible_nominations(session, book).add_columns(WorkflowInstance)
                .join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)):
            if ("nomination", nomination.id) in seen or engine.spec_of(session, instance).states[instance.state].final:
                continue
            roles = book.roles(body_id=nomination.proposer_body_id,
                               cluster_ids=[c for c in book.cluster_ids() if nomination.proposer_body_id in book.members(c)],
                               council_id=nomination.council_id, period_id=nomination.period_id)
            actions = awaiting_actions(engine, session, instance, roles)
            if actions:
                seen.add(("nomination", nomination.id))
                award = catalogue.award(nomination.award_code).name
                name = _nominee(session, nomination)
                label = engine.spec_of(session, instance).states[instance.state].label
                tasks.append(Task("nomination", nomination.id, f"{name} — {award.vi}", f"{name} — {award.en}",
                                  instance.state, label, actions, instance.deadline_at,
                                  bool(instance.deadline_at and instance.deadline_at < now),
                                  principal if principal != user.id else None))
        for decision, instance in session.execute(
                select(Decision, WorkflowInstance).join(WorkflowInstance, WorkflowInstance.id == Decision.instance_id)
                .where(Decision.council_id.in_(book.councils))):
            if ("decision", decision.id) in seen:
                continue
            actions = awaiting_actions(engine, session, instance, book.roles(council_id=decision.council_id))
            if actions:
                seen.add(("decision", decision.id))
                label = engine.spec_of(session, instance).states[instance.state].label
                tasks.append(Task("decision", decision.id, decision.title, decision.title, instance.state, label,
                                  actions, instance.deadline_at,
                                  bool(instance.deadline_at and instance.deadline_at < now),
                                  principal if principal != user.id else None))
    tasks += _ballots(session, user, on)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(tasks, key=lambda t: (not t.overdue, t.deadline_at or far, t.kind, t.id))
