"""Award history (lịch sử khen thưởng): who holds which award for which period.

Every award granted by an issued decision is recorded here (and history from before Laurel
can be imported); the prerequisite rules read it. A revoked award stays on record, marked
with the decision that revoked it, and no longer counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .models import AwardRecord, Body, Nomination, Period, Person
from .text import search_key

__all__ = ["holds", "record_award", "revoke_awards", "HistoryRow", "search"]


def _holder(person_id: int | None, body_id: int | None):
    return AwardRecord.person_id == person_id if person_id is not None else AwardRecord.body_id == body_id


def holds(session: Session, award_code: str, period_id: int, *, person_id: int | None = None,
          body_id: int | None = None) -> bool:
    """Whether the person (or unit) holds ``award_code`` for the period, not revoked."""
    return session.scalar(select(func.count()).select_from(AwardRecord).where(
        AwardRecord.award_code == award_code, AwardRecord.period_id == period_id,
        _holder(person_id, body_id), AwardRecord.revoked_by_decision_id.is_(None))) > 0


def record_award(session: Session, nomination: Nomination, *, decision_id: int | None, decision_number: str | None,
                 awarded_on: date) -> AwardRecord:
    record = AwardRecord(award_code=nomination.award_code, period_id=nomination.period_id,
                         person_id=nomination.person_id, body_id=nomination.nominee_body_id,
                         decision_id=decision_id, decision_number=decision_number, awarded_on=awarded_on,
                         nomination_id=nomination.id)
    session.add(record)
    return record


def revoke_awards(session: Session, decision_id: int, by_decision_id: int) -> int:
    """Marks every award granted by ``decision_id`` as revoked by ``by_decision_id``."""
    records = session.scalars(select(AwardRecord).where(AwardRecord.decision_id == decision_id,
                                                        AwardRecord.revoked_by_decision_id.is_(None))).all()
    for record in records:
        record.revoked_by_decision_id = by_decision_id
    return len(records)


@dataclass(frozen=True)
class HistoryRow:
    record: AwardRecord
    holder: str        # the person's or the unit's name
    unit: str | None   # the person's unit
    period: str


def search(session: Session, *, text: str | None = None, award_code: str | None = None,
           period_code: str | None = None, body_id: int | None = None, include_revoked: bool = False,
           limit: int = 200, offset: int = 0) -> list[HistoryRow]:
    """Award records matching a name (person or unit; case and diacritics ignored), an
    award, a period, a unit."""
    person_unit = Body.__table__.alias("person_unit")
    query = (select(AwardRecord, Person.full_name, Body.name, person_unit.c.name, Period.code)
             .join(Period, Period.id == AwardRecord.period_id)
             .outerjoin(Person, Person.id == AwardRecord.person_id)
             .outerjoin(Body, Body.id == AwardRecord.body_id)
             .outerjoin(person_unit, person_unit.c.id == Person.body_id))
    if text:
        pattern = f"%{search_key(text)}%"
        query = query.where(or_(Person.search_name.like(pattern), Body.search_name.like(pattern)))
    if award_code:
        query = query.where(AwardRecord.award_code == award_code)
    if period_code:
        query = query.where(Period.code == period_code)
    if body_id is not None:
        query = query.where(or_(AwardRecord.body_id == body_id, Person.body_id == body_id))
    if not include_revoked:
        query = query.where(AwardRecord.revoked_by_decision_id.is_(None))
    query = query.order_by(Period.code.desc(), AwardRecord.award_code, AwardRecord.id).limit(limit).offset(offset)
    return [HistoryRow(record, person_name or body_name, unit_name, period)
            for record, person_name, body_name, unit_name, period in session.execute(query)]
