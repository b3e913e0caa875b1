"""Biên bản: the minutes of a closed council session — who attended (and who voted in writing),
the quorum, the count for each nominee against its award's threshold, and the result — as a
PDF in the official layout, printed for the members to sign."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import ballots
from ..domain.catalogue import Catalogue
from ..domain.errors import DomainError
from ..domain.models import (Attendance, BallotCast, Body, Council, CouncilSession, Nomination, RoleAssignment,
                             User)
from .content import Awardee, Letterhead, awardee_of, letterhead
from .render import render_html
from .vietnamese import clock_time, nfc
from .wording import WordingFile, wording_for

__all__ = ["MinutesRow", "MinutesContent", "minutes_content", "render_minutes"]

BALLOT = {"open": "Công khai", "secret": "Bỏ phiếu kín"}


@dataclass(frozen=True)
class MinutesRow:
    nominee: Awardee
    award: str
    ballot: str
    agree: int
    disagree: int
    abstain: int
    base: int
    threshold: float
    passed: bool

    @property
    def share(self) -> str:
        return f"{100 * self.agree / self.base:.1f}%" if self.base else "—"


@dataclass(frozen=True)
class MinutesContent:
    head: Letterhead
    title: str
    session_title: str
    council: str
    held_on: str
    closed_at: str
    members: int
    present: list[str]
    absent: list[tuple[str, bool]]  # name, voted in writing
    required: int
    quorum_met: bool
    rows: list[MinutesRow]
    signatures: list[tuple[str, str]]  # title, name

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.rows)


def _name(user: User | None) -> str:
    return user.display_name if user else ""


def minutes_content(session: Session, catalogue: Catalogue, wording_file: WordingFile,
                    council_session: CouncilSession) -> MinutesContent:
    """What the minutes of a closed session say (refused while the session is open)."""
    if council_session.status != "closed":
        raise DomainError("Biên bản có khi phiên họp đã kết thúc", "The minutes exist once the session has closed")
    council = session.get(Council, council_session.council_id)
    body = session.get(Body, council.body_id)
    w = wording_for(wording_file, body.code)
    quorum = ballots.quorum(session, catalogue, council_session)
    members = ballots.council_members(session, council.id, council_session.held_on)
    present = set(session.scalars(select(Attendance.user_id).where(Attendance.session_id == council_session.id)))
    written = set(session.scalars(select(BallotCast.user_id).where(BallotCast.session_id == council_session.id,
                                                                   BallotCast.written.is_(True))))
    rows = []
    for tally in ballots.tallies(session, council_session):
        nomination = session.get(Nomination, tally.nomination_id)
        rows.append(MinutesRow(awardee_of(session, nomination), catalogue.name_of(nomination.award_code).vi,
                               BALLOT.get(tally.ballot, tally.ballot), tally.agree, tally.disagree, tally.abstain,
                               tally.base, tally.threshold, tally.passed))
    day = council_session.held_on
    chair = session.scalars(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id).where(
        RoleAssignment.role == "chair", RoleAssignment.scope_kind == "council", RoleAssignment.scope_id == council.id,
        (RoleAssignment.valid_from.is_(None)) | (RoleAssignment.valid_from <= day),
        (RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to >= day)).order_by(RoleAssignment.id)).first()
    titles = list(w["minutes_signatures"] or ["THƯ KÝ", "CHỦ TỊCH HỘI ĐỒNG"])
    names = [_name(session.get(User, council_session.opened_by)), _name(chair)]
    return MinutesContent(
        head=letterhead(w, body, council_session.held_on), title=nfc(w["minutes_title"] or ""),
        session_title=council_session.title, council=council.name, held_on=f"{council_session.held_on:%d/%m/%Y}",
        closed_at=clock_time(council_session.closed_at) if council_session.closed_at else "",
        members=quorum.members, present=[_name(session.get(User, u)) for u in sorted(present)],
        absent=[(_name(session.get(User, u)), u in written) for u in members if u not in present],
        required=quorum.required, quorum_met=quorum.met, rows=rows, signatures=list(zip(titles, names)))


def render_minutes(content: MinutesContent, folder: Path) -> bytes:
    """The minutes as a PDF (PDF/A-3u)."""
    document = render_html(folder, "minutes.html", "official.css", m=content)
    return document.write_pdf(pdf_variant="pdf/a-3u")
