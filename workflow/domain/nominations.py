"""Nominations (đề nghị khen thưởng) and the submissions (tờ trình) that carry them.

A unit proposes, in a period, an award for a person of the unit or for a collective (the unit
or one below it). Each nomination runs its award's workflow; every action goes through the
engine as the person acting (``act``), and a bulk action on a submission goes item by item,
each in its own savepoint, reporting what happened to each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine import Engine
from ..errors import Blocked, Conflict, WorkflowError
from ..models import WorkflowInstance
from ..store import EventRecord
from .catalogue import Catalogue
from .dossier import attach
from .errors import DomainError, NotAllowed
from .models import Body, Nomination, Period, Person, Submission, User
from .organisation import actor_for, ancestors, council_for, roles_for
from .text import nfc

__all__ = ["create_submission", "add_nomination", "act", "bulk_act", "ItemResult", "instance_of", "nominee_name"]


def _require_officer(session: Session, user: User, body_id: int, on: date) -> None:
    if "unit_officer" not in roles_for(session, user.id, on=on, body_id=body_id):
        body = session.get(Body, body_id)
        raise NotAllowed(f"Chỉ cán bộ TĐKT của {body.name} được lập đề nghị của đơn vị",
                         f"Only the emulation officer of {body.name} may prepare its nominations")


def create_submission(session: Session, catalogue: Catalogue, user: User, *, body_id: int, period: Period,
                      award_codes: Iterable[str], title: str, reference: str | None, now: datetime) -> Submission:
    """A new submission (tờ trình) of ``body_id`` in ``period``, to the council that hears
    ``award_codes`` (all must be heard by the same council)."""
    on = now.date()
    _require_officer(session, user, body_id, on)
    councils = {council_for(session, catalogue, body_id, code).id for code in award_codes}
    if len(councils) != 1:
        raise DomainError("Một tờ trình chỉ gửi một Hội đồng: hãy tách các danh hiệu do Hội đồng khác xét",
                          "A submission goes to one council: split awards heard by different councils")
    title = nfc(title)
    if not title or len(title) > 500:
        raise DomainError("Cần tiêu đề tờ trình (tối đa 500 ký tự)", "A title of up to 500 characters is needed")
    submission = Submission(body_id=body_id, period_id=period.id, council_id=councils.pop(), title=title,
                            reference=nfc(reference) if reference else None, created_by=user.id, created_at=now)
    session.add(submission)
    session.flush()
    return submission


def _within(session: Session, body_id: int, top_id: int) -> bool:
    return any(b.id == top_id for b in ancestors(session, body_id))


def add_nomination(session: Session, engine: Engine, catalogue: Catalogue, user: User, submission: Submission, *,
                   award_code: str, person_id: int | None = None, nominee_body_id: int | None = None,
                   achievements: str | None = None, now: datetime) -> Nomination:
    """Adds a nominee to a submission and starts the award's workflow for it (in draft)."""
    if award_code not in catalogue.awards:
        raise DomainError(f"Không có danh hiệu, hình thức “{award_code}”", f"No award “{award_code}”")
    award = catalogue.award(award_code)
    _require_officer(session, user, submission.body_id, now.date())
    if award.subject == "individual":
        person = session.get(Person, person_id) if person_id else None
        if person is None or nominee_body_id is not None:
            raise DomainError(f"“{award.name.vi}” dành cho cá nhân: hãy chọn một người",
                              f"“{award.name.en}” is for individuals: choose a person")
        if not _within(session, person.body_id, submission.body_id):
            raise NotAllowed("Người được đề nghị không thuộc đơn vị lập tờ trình",
                             "The nominee does not belong to the proposing unit")
    else:
        if nominee_body_id is None or person_id is not None:
            raise DomainError(f"“{award.name.vi}” dành cho tập thể: hãy chọn một đơn vị",
                              f"“{award.name.en}” is for collectives: choose a unit")
        if not _within(session, nominee_body_id, submission.body_id):
            raise NotAllowed("Tập thể được đề nghị không thuộc đơn vị lập tờ trình",
                             "The nominated collective does not belong to the proposing unit")
    council = council_for(session, catalogue, submission.body_id, award_code)
    if council.id != submission.council_id:
        raise DomainError(f"“{award.name.vi}” do {council.name} xét, không phải Hội đồng của tờ trình này",
                          f"“{award.name.en}” is heard by {council.name}, not by this submission's council")
    achievements = nfc(achievements) if achievements else None
    if achievements and len(achievements) > 20_000:
        raise DomainError("Tóm tắt thành tích dài quá 20.000 ký tự", "The achievements exceed 20,000 characters")
    nomination = Nomination(submission_id=submission.id, period_id=submission.period_id, council_id=council.id,
                            proposer_body_id=submission.body_id, award_code=award_code,
                            award_line=catalogue.line_of(award_code), subject_kind=award.subject,
                            person_id=person_id, nominee_body_id=nominee_body_id, achievements=achievements,
                            created_by=user.id, created_at=now)
    session.add(nomination)
    session.flush()
    actor = actor_for(session, user, nomination, on=now.date())
    instance = engine.start(session, award.workflow, actor, subject_kind=award.subject,
                            subject_ref=str(nomination.id), now=now)
    nomination.instance_id = instance.id
    session.flush()
    return nomination


def instance_of(session: Session, nomination: Nomination) -> WorkflowInstance:
    return session.get(WorkflowInstance, nomination.instance_id)


def act(session: Session, engine: Engine, user: User, nomination: Nomination, trigger: str, *, now: datetime,
        acting_for: User | None = None, expected_version: int | None = None, comment: str | None = None,
        inputs: Mapping[str, Any] | None = None, attachments: Mapping[str, str] | None = None) -> EventRecord:
    """``user`` (or their delegate) fires ``trigger`` on the nomination, through the engine."""
    actor = actor_for(session, user, nomination, on=now.date(), acting_for=acting_for)
    return engine.fire(session, instance_of(session, nomination), trigger, actor, comment=comment, inputs=inputs,
                       attachments=attachments, expected_version=expected_version, now=now)


@dataclass(frozen=True)
class ItemResult:
    """What a bulk action did to one nomination."""

    nomination_id: int
    ok: bool
    vi: str
    en: str


def bulk_act(session: Session, engine: Engine, user: User, nominations: Iterable[Nomination], trigger: str, *,
             now: datetime, comment: str | None = None,
             files: Mapping[str, tuple[str, bytes]] | None = None) -> list[ItemResult]:
    """Fires ``trigger`` on each nomination in turn, each in a savepoint: one refused item does
    not undo the others. Returns one result per item.

    ``files`` (document kind → (file name, content)), such as the cluster's minutes, are
    attached to each nomination and handed to its action; the content is stored once, and
    an item refused keeps no attachment."""
    results = []
    for nomination in nominations:
        try:
            with session.begin_nested():
                attachments = {kind: attach(session, engine.documents, kind=kind, data=data, filename=name,
                                            user_id=user.id, now=now, nomination_id=nomination.id).sha256
                               for kind, (name, data) in (files or {}).items()}
                event = act(session, engine, user, nomination, trigger, now=now, comment=comment,
                            attachments=attachments or None)
            label = engine.spec_of(session, instance_of(session, nomination)).states[event.to_state].label
            results.append(ItemResult(nomination.id, True, f"Đã chuyển sang “{label.vi}”", f"Moved to “{label.en}”"))
        except (Blocked, Conflict, DomainError, WorkflowError) as refused:
            results.append(ItemResult(nomination.id, False, refused.vi, refused.en))
    return results


def nominee_name(session: Session, nomination: Nomination) -> str:
    if nomination.person_id is not None:
        return session.get(Person, nomination.person_id).full_name
    return session.get(Body, nomination.nominee_body_id).name


def nominations_of(session: Session, submission_id: int) -> list[Nomination]:
    return list(session.scalars(select(Nomination).where(Nomination.submission_id == submission_id)
                                .order_by(Nomination.id)))
