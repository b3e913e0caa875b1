"""Decisions (quyết định khen thưởng): drafted from approved nominations, signed, issued.

Issuing a decision numbers it (a sequence per issuing body and year, under a lock: no gaps,
no duplicates), moves every nomination it names to "awarded" and records the awards in the
history — all in the transaction that issues it. A decision is never changed afterwards; a
revocation is a new decision naming the one it revokes, and issuing it revokes that decision
and its awards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..actor import SYSTEM
from ..engine import Engine
from ..locks import hold
from ..models import WorkflowInstance
from ..reasons import Reason
from ..registry import Registry
from ..store import EventRecord
from .errors import DomainError
from .history import record_award, revoke_awards
from .models import Body, Council, Decision, DecisionCounter, DecisionItem, Nomination, User
from .organisation import RoleBook, actor_for
from .worklist import visible_nominations

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["DECISION_WORKFLOW", "AWARD_TRIGGER", "REVOKE_TRIGGER", "draft_decision", "draft_revocation",
           "act_on_decision", "next_number", "decision_items", "register", "awardable", "revocable", "revocations",
           "visible_decisions", "can_view_decision", "revoked_by"]

DECISION_WORKFLOW = "decision"
AWARD_TRIGGER = "award"    # the trigger a decision fires on each nomination it grants
REVOKE_TRIGGER = "revoke"  # … and on each decision or nomination it revokes


def _offers(engine: Engine, session: Session, instance_id: int, trigger: str) -> bool:
    instance = session.get(WorkflowInstance, instance_id)
    return trigger in engine.spec_of(session, instance).candidates[instance.state]


def _live(engine: Engine, session: Session, decisions: Iterable[Decision]) -> list[Decision]:
    """The decisions not ended (a cancelled draft, or a revoked decision, has ended)."""
    live = []
    for decision in decisions:
        instance = session.get(WorkflowInstance, decision.instance_id)
        if not engine.spec_of(session, instance).states[instance.state].final:
            live.append(decision)
    return live


def _start(session: Session, engine: Engine, user: User, decision: Decision, now: datetime) -> Decision:
    session.add(decision)
    session.flush()
    actor = actor_for(session, user, decision, on=now.date())
    if "secretariat" not in actor.roles:
        raise DomainError("Chỉ cơ quan thường trực dự thảo quyết định", "Only the standing office drafts decisions")
    instance = engine.start(session, DECISION_WORKFLOW, actor, subject_kind="decision",
                            subject_ref=str(decision.id), now=now)
    decision.instance_id = instance.id
    session.flush()
    return decision


def draft_decision(session: Session, engine: Engine, user: User, council: Council, *, period_id: int, title: str,
                   nominations: Iterable[Nomination], now: datetime) -> Decision:
    """A draft decision granting the awards of ``nominations`` (approved by the council)."""
    nominations = list(nominations)
    if not nominations:
        raise DomainError("Quyết định chưa có ai được khen thưởng", "The decision names no awardee")
    for n in nominations:
        taken = _live(engine, session, session.scalars(select(Decision).join(DecisionItem).where(
            DecisionItem.nomination_id == n.id)))
        if n.council_id != council.id or not _offers(engine, session, n.instance_id, AWARD_TRIGGER) or taken:
            raise DomainError(f"Đề nghị số {n.id} chưa được Hội đồng thông qua hoặc đã có trong quyết định khác",
                              f"Nomination {n.id} is not approved by this council, or is in another decision")
    decision = _start(session, engine, user, Decision(council_id=council.id, period_id=period_id, kind="award",
                                                      title=title.strip()[:500], created_by=user.id,
                                                      created_at=now), now)
    session.add_all(DecisionItem(decision_id=decision.id, nomination_id=n.id) for n in nominations)
    session.flush()
    return decision


def draft_revocation(session: Session, engine: Engine, user: User, revoked: Decision, *, title: str,
                     now: datetime) -> Decision:
    """A draft decision revoking an issued one (thu hồi)."""
    if not _offers(engine, session, revoked.instance_id, REVOKE_TRIGGER):
        raise DomainError("Chỉ thu hồi được quyết định đã ban hành", "Only an issued decision can be revoked")
    if _live(engine, session, session.scalars(select(Decision).where(Decision.revokes_id == revoked.id))):
        raise DomainError("Đã có quyết định thu hồi quyết định này", "A decision revoking this one exists already")
    return _start(session, engine, user, Decision(council_id=revoked.council_id, period_id=revoked.period_id,
                                                  kind="revocation", title=title.strip()[:500],
                                                  revokes_id=revoked.id, created_by=user.id, created_at=now), now)


def act_on_decision(session: Session, engine: Engine, user: User, decision: Decision, trigger: str, *,
                    now: datetime, acting_for: User | None = None, comment: str | None = None,
                    inputs: Mapping[str, Any] | None = None, expected_version: int | None = None) -> EventRecord:
    actor = actor_for(session, user, decision, on=now.date(), acting_for=acting_for)
    return engine.fire(session, session.get(WorkflowInstance, decision.instance_id), trigger, actor, comment=comment,
                       inputs=inputs, expected_version=expected_version, now=now)


def next_number(session: Session, body: Body, year: int) -> str:
    """The next decision number of ``body`` for ``year`` (``125/QĐ-BTCTU``): under a lock, so
    concurrent issues never share or skip a number."""
    hold(session, f"decision-number:{body.id}:{year}")
    counter = session.get(DecisionCounter, (body.id, year), with_for_update=True)
    if counter is None:
        counter = DecisionCounter(body_id=body.id, year=year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return f"{counter.last}/{body.document_symbol or 'QĐ'}"


def decision_items(session: Session, decision: Decision) -> list[Nomination]:
    return list(session.scalars(select(Nomination).join(DecisionItem, DecisionItem.nomination_id == Nomination.id)
                                .where(DecisionItem.decision_id == decision.id).order_by(Nomination.id)))


def revoked_by(session: Session, decision_id: int) -> Decision | None:
    """The issued decision that revokes the decision ``decision_id``, if any."""
    return session.scalars(select(Decision).where(Decision.revokes_id == decision_id, Decision.number.is_not(None))
                           .order_by(Decision.id)).first()


def awardable(engine: Engine, session: Session, council_id: int) -> list[Nomination]:
    """What a new decision of the council may grant: its nominations approved by its vote
    (their state offers the award) and named in no live decision."""
    taken = {i for d in _live(engine, session, session.scalars(select(Decision).where(
        Decision.council_id == council_id, Decision.kind == "award")))
        for i in session.scalars(select(DecisionItem.nomination_id).where(DecisionItem.decision_id == d.id))}
    return [n for n in session.scalars(select(Nomination).where(Nomination.council_id == council_id)
                                       .order_by(Nomination.id))
            if n.id not in taken and n.instance_id is not None and _offers(engine, session, n.instance_id, AWARD_TRIGGER)]


def revocations(engine: Engine, session: Session, decision: Decision) -> list[Decision]:
    """The decisions revoking ``decision``, issued or not yet ended (a cancelled draft is left out)."""
    drafts = session.scalars(select(Decision).where(Decision.revokes_id == decision.id).order_by(Decision.id)).all()
    live = _live(engine, session, drafts)
    return [d for d in drafts if d.number is not None or d in live]


def revocable(engine: Engine, session: Session, council_id: int) -> list[Decision]:
    """The council's issued award decisions that a new revocation may name: in force, and not
    named by another revocation still in progress."""
    return [d for d in session.scalars(select(Decision).where(Decision.council_id == council_id,
                                                              Decision.kind == "award").order_by(Decision.id.desc()))
            if _offers(engine, session, d.instance_id, REVOKE_TRIGGER) and not revocations(engine, session, d)]


def visible_decisions(session: Session, book: RoleBook, person_id: int | None = None):
    """A query of the decisions a person may see: every decision of a council where they hold a
    role, and the issued decisions (numbered) that grant — or revoke the grant of — a nomination
    they may see (their unit's, their clusters', their own as nominee). All, for an admin."""
    query = select(Decision)
    if "admin" in book.global_roles:
        return query
    seen = visible_nominations(session, book).with_only_columns(Nomination.id)
    if person_id is not None:
        seen = seen.union(select(Nomination.id).where(Nomination.person_id == person_id))
    granting = select(DecisionItem.decision_id).where(DecisionItem.nomination_id.in_(seen))
    return query.where(or_(Decision.council_id.in_(book.councils),
                           and_(Decision.number.is_not(None),
                                or_(Decision.id.in_(granting), Decision.revokes_id.in_(granting)))))


def can_view_decision(session: Session, user: User, decision: Decision, on: date) -> bool:
    """Whether ``user`` may see ``decision`` (see ``visible_decisions``)."""
    book = RoleBook(session, user.id, on)
    return session.scalar(visible_decisions(session, book, user.person_id).where(Decision.id == decision.id)) is not None


# --- hooks the decision workflow names ------------------------------------------------------------

def _decision(ctx: "Context") -> Decision:
    return ctx.session.get(Decision, int(ctx.instance.subject_ref))


def _fire_as_system(ctx: "Context", instance_id: int, trigger: str) -> None:
    instance = ctx.session.get(WorkflowInstance, instance_id)
    ctx.engine.fire(ctx.session, instance, trigger, SYSTEM, now=ctx.now)


def issue_decision(ctx: "Context") -> None:
    """On issue: number and date the decision, make and store its signed PDF, then grant its
    awards (or revoke its target) — all in the transaction of the ``issue`` transition."""
    decision = _decision(ctx)
    body = ctx.session.get(Body, ctx.session.get(Council, decision.council_id).body_id)
    local = ctx.now.astimezone(ctx.engine.calendar.zone)  # the date of issue is the local one
    decision.number = next_number(ctx.session, body, local.year)
    decision.issued_on = local.date()
    publisher = ctx.services.get("publisher")
    if publisher is None:
        raise DomainError("Chưa cấu hình dịch vụ ký và lưu văn bản", "No document publisher is configured")
    publisher.publish(ctx.session, decision)
    if decision.kind == "revocation":
        _fire_as_system(ctx, ctx.session.get(Decision, decision.revokes_id).instance_id, REVOKE_TRIGGER)
        return
    for nomination in decision_items(ctx.session, decision):
        _fire_as_system(ctx, nomination.instance_id, AWARD_TRIGGER)
        record_award(ctx.session, nomination, decision_id=decision.id, decision_number=decision.number,
                     awarded_on=decision.issued_on)
    ctx.session.flush()


def withdraw_awards(ctx: "Context") -> None:
    """On revocation: the awards the decision granted are revoked, in the history and in each
    nomination's workflow."""
    decision = _decision(ctx)
    revoking = ctx.session.scalar(select(Decision).where(Decision.revokes_id == decision.id,
                                                         Decision.number.is_not(None)))
    for nomination in decision_items(ctx.session, decision):
        if _offers(ctx.engine, ctx.session, nomination.instance_id, REVOKE_TRIGGER):
            _fire_as_system(ctx, nomination.instance_id, REVOKE_TRIGGER)
    revoke_awards(ctx.session, decision.id, revoking.id)
    ctx.session.flush()


def decision_has_items(ctx: "Context") -> Reason | None:
    decision = _decision(ctx)
    if decision.kind == "revocation" or decision_items(ctx.session, decision):
        return None
    return Reason("empty", "Quyết định chưa có ai được khen thưởng", "The decision names no awardee")


def register(registry: Registry) -> None:
    registry.hook("issue_decision")(issue_decision)
    registry.hook("withdraw_awards")(withdraw_awards)
    registry.guard("decision_has_items", vi="Quyết định có danh sách khen thưởng",
                   en="The decision names its awardees")(decision_has_items)
