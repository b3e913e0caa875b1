"""Council sessions (phiên họp Hội đồng): the agenda, attendance and quorum, each member's ballot,
written votes, closing, the tallies and the minutes' figures, and recording the results.

Nobody sees a count while a session is open (``ballots.tallies`` refuses): a member's page says
only that their ballot was received, never how anyone voted. The standing office opens sessions,
records attendance and absent members' written votes, and, once the session is closed, records
the result on every nomination of the agenda at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from workflow.documents.minutes import minutes_content, render_minutes
from workflow.domain import ballots
from workflow.domain import nominations as service
from workflow.domain.models import Attendance, BallotCast, Body, Council, CouncilSession, Nomination, Period, User
from workflow.domain.organisation import COUNCIL_ROLES
from workflow.workdays import utcnow

from .access import book, today
from .auth import signed_in_user
from .database import db
from .extensions import laurel
from .params import as_id, ids_in
from .pdf import file_name, pdf_response
from .refusals import refused_at

bp = Blueprint("council", __name__)

RECORD_TRIGGER = "record_vote"


# --- who may see what -------------------------------------------------------------------------------

def _council_roles(council_id: int) -> frozenset[str]:
    return book().roles(council_id=council_id) & COUNCIL_ROLES


def _my_councils() -> list[Council]:
    """The councils where the person holds a council role (403 when there is none)."""
    ids = {a.scope_id for a in book().assignments if a.scope_kind == "council" and a.role in COUNCIL_ROLES}
    if not ids:
        abort(403)
    return list(db().scalars(select(Council).where(Council.id.in_(ids)).order_by(Council.id)))


def _visible_session(session_id: int) -> CouncilSession:
    """The session, if the person holds a role in its council (404 otherwise)."""
    sitting = db().get(CouncilSession, session_id)
    if sitting is None or not _council_roles(sitting.council_id):
        abort(404)
    return sitting


def _require(sitting: CouncilSession, roles: set[str] | frozenset[str]) -> frozenset[str]:
    mine = _council_roles(sitting.council_id)
    if not mine & roles:
        abort(403)
    return mine


# --- what a page shows about a nomination ---------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """An agenda line: the nomination, its nominee and award, how it is voted, its step now."""

    nomination: Nomination
    nominee: str
    unit: str
    award: object
    ballot: str
    state: object


def _items(nominations: list[Nomination]) -> list[Item]:
    catalogue, engine = laurel.state.catalogue, laurel.state.engine
    units = {b.id: b.name for b in db().scalars(select(Body).where(
        Body.id.in_({n.proposer_body_id for n in nominations})))}
    items = []
    for n in nominations:
        instance = service.instance_of(db(), n)
        award = catalogue.award(n.award_code)
        items.append(Item(n, service.nominee_name(db(), n), units.get(n.proposer_body_id, ""), award.name,
                          award.vote.ballot, engine.spec_of(db(), instance).states[instance.state]))
    return items


# --- the list, and opening a session ------------------------------------------------------------------

@dataclass(frozen=True)
class Opening:
    """A council whose standing office may open a session: the nominations it can put on the agenda."""

    council: Council
    candidates: list[Item]
    periods: list[Period]


def _openings(councils: list[Council]) -> list[Opening]:
    openings = []
    for council in councils:
        if ballots.ORGANISER not in _council_roles(council.id):
            continue
        candidates = ballots.agenda_candidates(laurel.state.engine, db(), council.id)
        periods = db().scalars(select(Period).where(Period.id.in_({n.period_id for n in candidates}))
                               .order_by(Period.code.desc())).all()
        openings.append(Opening(council, _items(candidates), list(periods)))
    return openings


def _index(*, errors: dict[str, list[str]] | None = None, failed: int | None = None, status: int = 200):
    councils = _my_councils()
    names = {c.id: c.name for c in councils}
    sittings = db().scalars(select(CouncilSession).where(CouncilSession.council_id.in_(names))
                            .order_by(CouncilSession.held_on.desc(), CouncilSession.id.desc())).all()
    me = signed_in_user().id
    voted = set(db().scalars(select(BallotCast.session_id).where(BallotCast.user_id == me)))
    member_of = {c.id for c in councils if "council_member" in _council_roles(c.id)}
    counts = {s.id: len(ballots.agenda(db(), s)) for s in sittings}
    return render_template("council/index.html", sittings=sittings, names=names, voted=voted, member_of=member_of,
                           counts=counts, openings=_openings(councils), errors=errors or {}, failed=failed,
                           form=request.form if failed else {}, today=today()), status


@bp.get("/sessions")
@login_required
def index():
    return _index()


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@bp.post("/sessions")
@login_required
def open_session():
    council = db().get(Council, as_id(request.form.get("council")) or 0)
    if council is None or not _council_roles(council.id):
        abort(404)
    if ballots.ORGANISER not in _council_roles(council.id):
        abort(403)
    errors: dict[str, list[str]] = {}
    title = request.form.get("title", "").strip()
    held_on = _parse_date(request.form.get("held_on", ""))
    period = db().get(Period, as_id(request.form.get("period")) or 0)
    chosen = [db().get(Nomination, i) for i in ids_in(request.form.getlist("nomination"))]
    if not title:
        errors["title"] = [_("Give the session a title.")]
    if held_on is None:
        errors["held_on"] = [_("Give the date of the session.")]
    if period is None:
        errors["period"] = [_("Choose the period.")]
    if not chosen or None in chosen:
        errors["nomination"] = [_("Choose at least one nomination for the agenda.")]
    if not errors:
        with refused_at(errors, "nomination"):
            sitting = ballots.open_session(db(), laurel.state.engine, signed_in_user(), council, period_id=period.id,
                                           title=title, held_on=held_on, nominations=chosen)
    if errors:
        return _index(errors=errors, failed=council.id, status=400)
    db().commit()
    flash(_("The session has been opened. Record who is present, then the members can vote."), "success")
    return redirect(url_for(".show", session_id=sitting.id))


# --- a session ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    user: User
    present: bool
    voted: bool
    written: bool


def _members(sitting: CouncilSession) -> list[Member]:
    ids = ballots.council_members(db(), sitting.council_id, sitting.held_on)
    present = set(db().scalars(select(Attendance.user_id).where(Attendance.session_id == sitting.id)))
    casts = {c.user_id: c for c in db().scalars(select(BallotCast).where(BallotCast.session_id == sitting.id))}
    users = db().scalars(select(User).where(User.id.in_(ids)).order_by(User.display_name)).all()
    return [Member(u, u.id in present, u.id in casts, bool(casts.get(u.id) and casts[u.id].written)) for u in users]


def _ballot(sitting: CouncilSession, member: User) -> list[tuple[Item, bool]]:
    """The agenda as this member's ballot: each item, and whether they vote on it (not recused)."""
    mine = {n.id for n in ballots.ballot_items(db(), member, sitting)}
    return [(item, item.nomination.id in mine) for item in _items(ballots.agenda(db(), sitting))]


def _show(sitting: CouncilSession, *, errors: dict[str, list[str]] | None = None,
          general: list[str] | None = None, status: int = 200):
    user = signed_in_user()
    roles = _council_roles(sitting.council_id)
    members = _members(sitting)
    me = next((m for m in members if m.user.id == user.id), None)
    closed = sitting.status != "open"
    tallies = {t.nomination_id: t for t in ballots.tallies(db(), sitting)} if closed else {}
    agenda = _items(ballots.agenda(db(), sitting))
    pending = [i for i in agenda if ballots.awaiting_vote(laurel.state.engine, db(), i.nomination)] if closed else []
    return render_template(
        "council/show.html", sitting=sitting, council=db().get(Council, sitting.council_id),
        period=db().get(Period, sitting.period_id), agenda=agenda, members=members, me=me, roles=roles,
        organiser=ballots.ORGANISER in roles, may_close=bool(roles & ballots.CLOSERS) and not closed,
        ballot=_ballot(sitting, user) if me and not closed and not me.voted else [],
        quorum=ballots.quorum(db(), laurel.state.catalogue, sitting), tallies=tallies, pending=pending,
        absent=[m for m in members if not m.present and not m.voted], choices=ballots.CHOICES,
        errors=errors or {}, general=general or [], form=request.form if errors or general else {}), status


@bp.get("/sessions/<int:session_id>")
@login_required
def show(session_id: int):
    return _show(_visible_session(session_id))


def _answers(items: list[Nomination]) -> tuple[dict[int, str], dict[str, list[str]]]:
    answers, errors = {}, {}
    for n in items:
        choice = request.form.get(f"item:{n.id}", "")
        if choice in ballots.CHOICES:
            answers[n.id] = choice
        else:
            errors[f"item:{n.id}"] = [_("Choose agree, disagree or abstain.")]
    return answers, errors


@bp.post("/sessions/<int:session_id>/ballot")
@login_required
def cast(session_id: int):
    sitting = _visible_session(session_id)
    _require(sitting, {"council_member"})
    member = signed_in_user()
    answers, errors = _answers(ballots.ballot_items(db(), member, sitting))
    if errors:
        return _show(sitting, errors=errors, status=400)
    with refused_at(errors, ""):
        ballots.cast_ballot(db(), laurel.state.catalogue, member, sitting, answers)
    if errors:
        return _show(db().get(CouncilSession, session_id), general=errors[""], status=400)
    db().commit()
    flash(_("Your ballot has been received. The votes are counted when the session closes."), "success")
    return redirect(url_for(".show", session_id=session_id))


@bp.post("/sessions/<int:session_id>/attendance")
@login_required
def attendance(session_id: int):
    sitting = _visible_session(session_id)
    _require(sitting, {ballots.ORGANISER})
    present = ids_in(request.form.getlist("present"))
    errors: dict[str, list[str]] = {}
    with refused_at(errors, ""):
        ballots.record_attendance(db(), signed_in_user(), sitting, present)
    if errors:
        return _show(db().get(CouncilSession, session_id), general=errors[""], status=400)
    db().commit()
    flash(_("The attendance has been recorded."), "success")
    return redirect(url_for(".show", session_id=session_id) + "#attendance")


def _written_member(sitting: CouncilSession, member_id: int) -> User:
    if member_id not in ballots.council_members(db(), sitting.council_id, sitting.held_on):
        abort(404)
    return db().get(User, member_id)


def _written_page(sitting: CouncilSession, member: User, *, errors: dict[str, list[str]] | None = None,
                  general: list[str] | None = None, status: int = 200):
    return render_template("council/written.html", sitting=sitting, member=member, ballot=_ballot(sitting, member),
                           choices=ballots.CHOICES, errors=errors or {}, general=general or [],
                           form=request.form if errors or general else {}), status


@bp.get("/sessions/<int:session_id>/written/<int:member_id>")
@login_required
def written(session_id: int, member_id: int):
    sitting = _visible_session(session_id)
    _require(sitting, {ballots.ORGANISER})
    return _written_page(sitting, _written_member(sitting, member_id))


@bp.post("/sessions/<int:session_id>/written/<int:member_id>")
@login_required
def record_written(session_id: int, member_id: int):
    sitting = _visible_session(session_id)
    _require(sitting, {ballots.ORGANISER})
    member = _written_member(sitting, member_id)
    answers, errors = _answers(ballots.ballot_items(db(), member, sitting))
    if errors:
        return _written_page(sitting, member, errors=errors, status=400)
    with refused_at(errors, ""):
        ballots.cast_ballot(db(), laurel.state.catalogue, member, sitting, answers, recorded_by=signed_in_user())
    if errors:
        return _written_page(db().get(CouncilSession, session_id), db().get(User, member_id),
                             general=errors[""], status=400)
    db().commit()
    flash(_("The written vote of %(name)s has been recorded.", name=member.display_name), "success")
    return redirect(url_for(".show", session_id=session_id))


@bp.post("/sessions/<int:session_id>/close")
@login_required
def close(session_id: int):
    sitting = _visible_session(session_id)
    _require(sitting, ballots.CLOSERS)
    if request.form.get("confirm") != "yes":
        return _show(sitting, errors={"confirm": [_("Tick the box to confirm that the vote has ended.")]}, status=400)
    ballots.close_session(db(), laurel.state.catalogue, signed_in_user(), sitting, now=utcnow())
    db().commit()
    flash(_("The session is closed; the votes have been counted."), "success")
    return redirect(url_for(".show", session_id=session_id) + "#results")


@bp.post("/sessions/<int:session_id>/record")
@login_required
def record(session_id: int):
    sitting = _visible_session(session_id)
    _require(sitting, {ballots.ORGANISER})
    ballots.tallies(db(), sitting)  # refuses while the session is open
    items = [n for n in ballots.agenda(db(), sitting) if ballots.awaiting_vote(laurel.state.engine, db(), n)]
    results = service.bulk_act(db(), laurel.state.engine, signed_in_user(), items, RECORD_TRIGGER, now=utcnow())
    db().commit()
    names = {n.id: service.nominee_name(db(), n) for n in items}
    return render_template("nominations/bulk_result.html", results=results, names=names,
                           back=url_for(".show", session_id=session_id))



@bp.get("/sessions/<int:session_id>/minutes.pdf")
@login_required
def minutes(session_id: int):
    """The minutes of a closed session, as a PDF for the members to sign (404 while open)."""
    sitting = _visible_session(session_id)
    if sitting.status != "closed":
        abort(404)
    state = laurel.state
    content = minutes_content(db(), state.catalogue, state.domain.wording, sitting)
    data = render_minutes(content, state.definitions_root / "documents")
    return pdf_response(data, file_name("Bien-ban", sitting.held_on.isoformat(), str(sitting.id)), inline=True)
