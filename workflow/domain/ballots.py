"""Council sessions (phiên họp Hội đồng): agenda, attendance, quorum, ballots and tallies.

Each member casts one ballot per session, covering every agenda item they may vote on (not
one they proposed or that names them). For an award voted openly the vote is stored with the
member; for a secret ballot (bỏ phiếu kín) the database records only *that* the member voted
(``BallotCast``) and, apart, the votes themselves with no member, no time and no sequence
(``SecretVote``: random keys, no rowid, written in random order, rewritten in a new random
order when the session closes). Absent members may vote in writing. Nobody sees a count
before the session closes; closing tallies each nominee against its award's threshold, and
the tally feeds the ``vote_held`` and ``vote_passed`` guards.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..engine import Engine
from ..locks import hold
from ..models import WorkflowInstance
from .catalogue import Catalogue
from .errors import DomainError, NotAllowed
from .models import (AgendaItem, Attendance, BallotCast, Council, CouncilSession, Nomination, OpenVote,
                     RoleAssignment, SecretVote, Tally, User)
from .organisation import roles_for

__all__ = ["CHOICES", "ORGANISER", "CLOSERS", "council_members", "open_session", "record_attendance", "cast_ballot",
           "close_session", "tallies", "recused", "awaiting_vote", "ballot_items", "agenda", "agenda_candidates",
           "Quorum", "quorum"]

CHOICES = ("agree", "disagree", "abstain")
VOTE_GUARD = "vote_held"  # an item awaits the council when its state offers a transition guarded by this
ORGANISER = "secretariat"  # the role that opens sessions, records attendance and written votes
CLOSERS = frozenset({"secretariat", "chair"})  # the roles that may close a session


def council_members(session: Session, council_id: int, on: date) -> list[int]:
    """User ids holding the ``council_member`` role of the council on ``on``."""
    return sorted(set(session.scalars(select(RoleAssignment.user_id).where(
        RoleAssignment.role == "council_member", RoleAssignment.scope_kind == "council",
        RoleAssignment.scope_id == council_id,
        (RoleAssignment.valid_from.is_(None)) | (RoleAssignment.valid_from <= on),
        (RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to >= on)))))


def _needed(share: float, members: int) -> int:
    """How many members a share of ``members`` means (rounded up; 2/3 of 5 is 4)."""
    return math.ceil(share * members - 1e-9)


def _require(session: Session, user: User, council_id: int, on: date, roles: set[str], vi: str, en: str) -> None:
    if not roles & roles_for(session, user.id, on=on, council_id=council_id):
        raise NotAllowed(vi, en)


def awaiting_vote(engine: Engine, session: Session, nomination: Nomination) -> bool:
    """Whether the nomination's workflow is at the step that awaits the council's vote."""
    instance = session.get(WorkflowInstance, nomination.instance_id)
    spec = engine.spec_of(session, instance)
    return any(VOTE_GUARD in t.guards for ts in spec.candidates[instance.state].values() for t in ts)


def open_session(session: Session, engine: Engine, user: User, council: Council, *, period_id: int, title: str,
                 held_on: date, nominations: Iterable[Nomination]) -> CouncilSession:
    """The standing office opens a session with its agenda (nominations awaiting the vote)."""
    _require(session, user, council.id, held_on, {"secretariat"},
             "Chỉ cơ quan thường trực được lập phiên họp", "Only the standing office may open a session")
    nominations = list(nominations)
    if not nominations:
        raise DomainError("Chương trình phiên họp chưa có đề nghị nào", "The agenda holds no nomination")
    scheduled = _scheduled(session, council.id)
    for n in nominations:
        if n.council_id != council.id or n.period_id != period_id or not awaiting_vote(engine, session, n):
            raise DomainError(f"Đề nghị số {n.id} không chờ Hội đồng này bỏ phiếu",
                              f"Nomination {n.id} is not awaiting this council's vote")
        if n.id in scheduled:
            raise DomainError(f"Đề nghị số {n.id} đã có trong chương trình một phiên họp đang bỏ phiếu",
                              f"Nomination {n.id} is on the agenda of a session that is still voting")
    council_session = CouncilSession(council_id=council.id, period_id=period_id, title=title.strip()[:300],
                                     held_on=held_on, opened_by=user.id)
    session.add(council_session)
    session.flush()
    session.add_all(AgendaItem(session_id=council_session.id, nomination_id=n.id, position=i)
                    for i, n in enumerate(nominations, 1))
    session.flush()
    return council_session


def _scheduled(session: Session, council_id: int) -> set[int]:
    """The nominations on the agenda of the council's sessions still voting."""
    return set(session.scalars(select(AgendaItem.nomination_id).join(
        CouncilSession, CouncilSession.id == AgendaItem.session_id).where(
        CouncilSession.council_id == council_id, CouncilSession.status == "open")))


def agenda_candidates(engine: Engine, session: Session, council_id: int) -> list[Nomination]:
    """What the standing office may put on a new session's agenda: the council's nominations
    awaiting its vote and not on the agenda of a session still voting (oldest first)."""
    scheduled = _scheduled(session, council_id)
    return [n for n in session.scalars(select(Nomination).where(Nomination.council_id == council_id)
                                       .order_by(Nomination.id))
            if n.id not in scheduled and n.instance_id is not None and awaiting_vote(engine, session, n)]


def agenda(session: Session, council_session: CouncilSession) -> list[Nomination]:
    """The session's agenda, in its order."""
    return list(session.scalars(select(Nomination).join(AgendaItem, AgendaItem.nomination_id == Nomination.id)
                                .where(AgendaItem.session_id == council_session.id).order_by(AgendaItem.position)))


def _open(council_session: CouncilSession) -> None:
    if council_session.status != "open":
        raise DomainError("Phiên họp đã kết thúc", "The session is closed")


def record_attendance(session: Session, user: User, council_session: CouncilSession, present: Iterable[int]) -> None:
    """The standing office records who of the council attends (replacing the earlier list); a
    member who has voted in person cannot be taken off it."""
    _open(council_session)
    _require(session, user, council_session.council_id, council_session.held_on, {"secretariat"},
             "Chỉ cơ quan thường trực điểm danh", "Only the standing office records attendance")
    members = set(council_members(session, council_session.council_id, council_session.held_on))
    present = set(present)
    if not present <= members:
        raise DomainError("Chỉ điểm danh thành viên Hội đồng", "Only council members can be marked present")
    voted = set(session.scalars(select(BallotCast.user_id).where(BallotCast.session_id == council_session.id,
                                                                 BallotCast.written.is_(False))))
    if not voted <= present:
        raise DomainError("Thành viên đã bỏ phiếu trực tiếp vẫn là người có mặt",
                          "A member who has voted in person stays present")
    session.execute(delete(Attendance).where(Attendance.session_id == council_session.id))
    session.add_all(Attendance(session_id=council_session.id, user_id=u) for u in sorted(present))
    session.flush()


def recused(session: Session, member: User, nomination: Nomination) -> bool:
    """A member does not vote on a nomination they proposed or that names them."""
    instance = session.get(WorkflowInstance, nomination.instance_id)
    me = str(member.id)
    return (me in (instance.proposer_id, instance.proposer_for_id) or nomination.created_by == member.id
            or (member.person_id is not None and member.person_id == nomination.person_id))


def ballot_items(session: Session, member: User, council_session: CouncilSession) -> list[Nomination]:
    """The agenda items this member votes on."""
    return [n for n in agenda(session, council_session) if not recused(session, member, n)]


def cast_ballot(session: Session, catalogue: Catalogue, member: User, council_session: CouncilSession,
                choices: Mapping[int, str], *, recorded_by: User | None = None) -> None:
    """``member`` votes on every item of their ballot. With ``recorded_by`` (the standing
    office) it is an absent member's written vote."""
    _open(council_session)
    on = council_session.held_on
    if member.id not in council_members(session, council_session.council_id, on):
        raise NotAllowed("Chỉ thành viên Hội đồng được bỏ phiếu", "Only council members vote")
    present = session.get(Attendance, (council_session.id, member.id)) is not None
    written = recorded_by is not None
    if written:
        _require(session, recorded_by, council_session.council_id, on, {"secretariat"},
                 "Chỉ cơ quan thường trực ghi phiếu bằng văn bản", "Only the standing office records written votes")
        if present:
            raise DomainError("Thành viên có mặt bỏ phiếu trực tiếp", "A member who is present votes in person")
    elif not present:
        raise DomainError("Thành viên vắng mặt gửi phiếu bằng văn bản qua cơ quan thường trực",
                          "An absent member votes in writing, through the standing office")
    items = {n.id: n for n in ballot_items(session, member, council_session)}
    if set(choices) != set(items):
        raise DomainError("Phiếu phải có ý kiến cho đúng và đủ các đề nghị của phiếu",
                          "The ballot must answer every item on it, and nothing else")
    if any(choice not in CHOICES for choice in choices.values()):
        raise DomainError("Mỗi ý kiến là: đồng ý, không đồng ý hoặc không biểu quyết",
                          "Each answer is agree, disagree or abstain")
    try:
        with session.begin_nested():
            session.add(BallotCast(session_id=council_session.id, user_id=member.id, written=written))
            session.flush()
    except IntegrityError:
        raise DomainError("Thành viên này đã bỏ phiếu trong phiên họp", "This member has already voted in the session")
    order = list(items)
    random.SystemRandom().shuffle(order)  # not the agenda's order either
    for nomination_id in order:
        ballot = catalogue.award(items[nomination_id].award_code).vote.ballot
        if ballot == "secret":
            session.execute(insert(SecretVote).values(key=secrets.token_hex(16), session_id=council_session.id,
                                                      nomination_id=nomination_id, choice=choices[nomination_id]))
        else:
            session.add(OpenVote(session_id=council_session.id, nomination_id=nomination_id, user_id=member.id,
                                 choice=choices[nomination_id]))
    session.flush()


def _reshuffle(session: Session, session_id: int) -> None:
    """Rewrites the session's secret votes with new random keys, in random order, in one go."""
    votes = [(v.nomination_id, v.choice) for v in session.scalars(
        select(SecretVote).where(SecretVote.session_id == session_id))]
    session.execute(delete(SecretVote).where(SecretVote.session_id == session_id))
    random.SystemRandom().shuffle(votes)
    if votes:
        session.execute(insert(SecretVote), [{"key": secrets.token_hex(16), "session_id": session_id,
                                              "nomination_id": n, "choice": c} for n, c in votes])


def close_session(session: Session, catalogue: Catalogue, user: User, council_session: CouncilSession, *,
                  now: datetime) -> list[Tally]:
    """Closes the session: checks the quorum and tallies every item against its award's rule."""
    _require(session, user, council_session.council_id, council_session.held_on, set(CLOSERS),
             "Chỉ cơ quan thường trực hoặc Chủ tịch kết thúc phiên họp",
             "Only the standing office or the chair closes the session")
    hold(session, f"council-session:{council_session.id}")
    _open(council_session)
    members = council_members(session, council_session.council_id, council_session.held_on)
    present = session.scalar(select(func.count()).select_from(Attendance)
                             .where(Attendance.session_id == council_session.id))
    tallies = []
    for nomination in session.scalars(select(Nomination).join(AgendaItem, AgendaItem.nomination_id == Nomination.id)
                                      .where(AgendaItem.session_id == council_session.id)
                                      .order_by(AgendaItem.position)):
        rule = catalogue.award(nomination.award_code).vote
        quorum_met = present >= _needed(rule.quorum, len(members))
        model = SecretVote if rule.ballot == "secret" else OpenVote
        counts = Counter(dict(session.execute(select(model.choice, func.count()).where(
            model.session_id == council_session.id, model.nomination_id == nomination.id).group_by(model.choice)).all()))
        eligible = [m for m in members if not recused(session, session.get(User, m), nomination)]
        base = sum(counts.values()) if rule.of == "present" else len(eligible)
        agree = counts.get("agree", 0)
        passed = quorum_met and base > 0 and agree >= rule.threshold * base - 1e-9
        tally = Tally(session_id=council_session.id, nomination_id=nomination.id, agree=agree,
                      disagree=counts.get("disagree", 0), abstain=counts.get("abstain", 0), base=base,
                      threshold=rule.threshold, ballot=rule.ballot, passed=passed)
        session.add(tally)
        tallies.append(tally)
    _reshuffle(session, council_session.id)
    council_session.status, council_session.closed_at = "closed", now
    council_session.members_total, council_session.members_present = len(members), present
    council_session.quorum_met = all(present >= _needed(catalogue.award(n.award_code).vote.quorum, len(members))
                                     for n in agenda(session, council_session))
    session.flush()
    return tallies


def tallies(session: Session, council_session: CouncilSession) -> list[Tally]:
    """The tallies of a closed session (there is no running tally while it is open)."""
    if council_session.status == "open":
        raise DomainError("Chỉ xem kết quả khi phiên họp đã kết thúc", "Results are shown once the session has closed")
    return list(session.scalars(select(Tally).where(Tally.session_id == council_session.id)
                                .order_by(Tally.nomination_id)))


@dataclass(frozen=True)
class Quorum:
    """Attendance against the quorum: ``required`` is the most any agenda item's award asks."""

    members: int
    present: int
    required: int
    met: bool


def quorum(session: Session, catalogue: Catalogue, council_session: CouncilSession) -> Quorum:
    """The quorum of a session: counted now while it is open, as frozen when it closed."""
    if council_session.status == "open":
        members = len(council_members(session, council_session.council_id, council_session.held_on))
        present = session.scalar(select(func.count()).select_from(Attendance)
                                 .where(Attendance.session_id == council_session.id))
    else:
        members, present = council_session.members_total or 0, council_session.members_present or 0
    required = max((_needed(catalogue.award(n.award_code).vote.quorum, members)
                    for n in agenda(session, council_session)), default=0)
    met = present >= required if council_session.status == "open" else bool(council_session.quorum_met)
    return Quorum(members, present, required, met)
