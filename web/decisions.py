"""Decisions (quyết định khen thưởng, quyết định thu hồi): the list, drafting, each decision's page.

The standing office drafts a decision from the nominations its council approved, or a revocation
of an issued decision; the chair signs it (or returns the draft); the records clerk numbers and
issues it, which grants the awards it names (or revokes the decision it names). Each decision's
page lists its awardees (also as an XLSX file), its timeline and the actions the engine offers
the person now.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import defer

from workflow import Blocked
from workflow.documents.certificate import certificate_content, render_certificates
from workflow.domain import decisions as service
from workflow.domain import nominations as nominations_service
from workflow.domain.models import Body, Council, Decision, DecisionDocument, Nomination, Period, Person, User
from workflow.domain.worklist import visible_nominations
from workflow.models import WorkflowInstance
from workflow.workdays import utcnow

from .access import book, today
from .actions import Choice, field_errors, requested
from .actions import choices as offered_choices
from .auth import signed_in_user
from .database import db
from .export import xlsx_response
from .extensions import laurel
from .i18n import localized
from .params import as_id, ids_in
from .pdf import file_name, pdf_response
from .refusals import refused_at
from .timeline import timeline

bp = Blueprint("decisions", __name__)

DRAFTER = "secretariat"  # the role that drafts decisions (the workflow's submit_for_signature is theirs too)


# --- who may see what, and do what ----------------------------------------------------------------

def _visible(decision_id: int) -> Decision:
    """The decision, if the person may see it (404 otherwise: its existence is not revealed)."""
    decision = db().get(Decision, decision_id)
    if decision is None or not service.can_view_decision(db(), signed_in_user(), decision, today()):
        abort(404)
    return decision


def _instance(decision: Decision) -> WorkflowInstance:
    return db().get(WorkflowInstance, decision.instance_id)


def choices(decision: Decision, user: User) -> list[Choice]:
    """The actions the person's roles (or those of someone they act for) offer on the decision."""
    return offered_choices(decision, _instance(decision), user)


# --- what a decision names ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Awardee:
    nomination: Nomination
    nominee: str
    position: str
    unit: str
    award: object


def _linked(user: User, nominations: list[Nomination]) -> set[int]:
    """Those of ``nominations`` the person may open: visible to them, or naming them."""
    ids = [n.id for n in nominations]
    linked = set(db().scalars(visible_nominations(db(), book()).with_only_columns(Nomination.id)
                              .where(Nomination.id.in_(ids))))
    return linked | {n.id for n in nominations if user.person_id and n.person_id == user.person_id}


def _printable(decision: Decision, linked: set[int]) -> set[int]:
    """The awardees whose certificates the person may print: all of them for the council's
    people (the clerk prints them), else those the person may open; none once revoked."""
    nominations = service.decision_items(db(), decision)
    if service.revoked_by(db(), decision.id) is not None:
        return set()  # a revoked decision's certificates are no longer printed
    if decision.council_id in book().councils or "admin" in book().global_roles:
        return {n.id for n in nominations}
    return {n.id for n in nominations if n.id in linked}


def _awardees(decision: Decision) -> list[Awardee]:
    """The awardees a decision grants — for a revocation, those of the decision it revokes."""
    granting = db().get(Decision, decision.revokes_id) if decision.revokes_id else decision
    return _rows_for(service.decision_items(db(), granting))


def _rows_for(nominations: list[Nomination]) -> list[Awardee]:
    """Each nomination as a line of a decision's list: nominee, position, unit, award."""
    catalogue = laurel.state.catalogue
    people = {p.id: p for p in db().scalars(select(Person).where(Person.id.in_({n.person_id for n in nominations})))}
    units = {b.id: b.name for b in db().scalars(select(Body).where(Body.id.in_(
        {n.proposer_body_id for n in nominations} | {p.body_id for p in people.values()})))}
    rows = []
    for n in nominations:
        person = people.get(n.person_id)
        rows.append(Awardee(n, nominations_service.nominee_name(db(), n), (person.position or "") if person else "",
                            units[person.body_id if person else n.proposer_body_id],
                            catalogue.award(n.award_code).name))
    return rows


# --- the list, and drafting ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Drafting:
    """A council whose standing office may draft: the approved nominations and the revocable decisions."""

    council: Council
    approved: list[Awardee]
    periods: list[Period]
    revocable: list[Decision]


def _draftings() -> list[Drafting]:
    ids = {a.scope_id for a in book().assignments if a.scope_kind == "council" and a.role == DRAFTER}
    found = []
    for council in db().scalars(select(Council).where(Council.id.in_(ids)).order_by(Council.id)):
        approved = service.awardable(laurel.state.engine, db(), council.id)
        periods = db().scalars(select(Period).where(Period.id.in_({n.period_id for n in approved}))
                               .order_by(Period.code.desc())).all()
        found.append(Drafting(council, _rows_for(approved), list(periods),
                              service.revocable(laurel.state.engine, db(), council.id)))
    return found



def _index(*, errors: dict[str, list[str]] | None = None, failed: str | None = None, status: int = 200):
    user = signed_in_user()
    query = (service.visible_decisions(db(), book(), user.person_id).add_columns(WorkflowInstance)
             .join(WorkflowInstance, WorkflowInstance.id == Decision.instance_id)
             .order_by(Decision.created_at.desc(), Decision.id.desc()))
    engine = laurel.state.engine
    rows = [(d, engine.spec_of(db(), i).states[i.state]) for d, i in db().execute(query)]
    councils = {c.id: c.name for c in db().scalars(select(Council).where(Council.id.in_({d.council_id for d, _s in rows})))}
    if request.method == "GET" and request.args.get("format") == "xlsx":
        return xlsx_response("quyet-dinh", _("Decisions"), [_("Number"), _("Title"), _("Council"), _("Step"),
                                                           _("Issued on")],
                             [[d.number or "", d.title, councils[d.council_id], localized(state.label), d.issued_on]
                              for d, state in rows])
    return render_template("decisions/index.html", rows=rows, councils=councils, draftings=_draftings(),
                           errors=errors or {}, failed=failed, form=request.form if failed else {}), status


@bp.get("/decisions")
@login_required
def index():
    return _index()


def _drafting_council() -> Council:
    council = db().get(Council, as_id(request.form.get("council")) or 0)
    if council is None or not book().roles(council_id=council.id):
        abort(404)
    if DRAFTER not in book().roles(council_id=council.id):
        abort(403)
    return council


@bp.post("/decisions")
@login_required
def draft():
    council = _drafting_council()
    errors: dict[str, list[str]] = {}
    title = request.form.get("title", "").strip()
    period = db().get(Period, as_id(request.form.get("period")) or 0)
    chosen = [db().get(Nomination, i) for i in ids_in(request.form.getlist("nomination"))]
    if not title:
        errors["title"] = [_("Give the decision a title.")]
    if period is None:
        errors["period"] = [_("Choose the period.")]
    if not chosen or None in chosen:
        errors["nomination"] = [_("Choose at least one approved nomination.")]
    if not errors:
        with refused_at(errors, "nomination"):
            decision = service.draft_decision(db(), laurel.state.engine, signed_in_user(), council, period_id=period.id,
                                              title=title, nominations=chosen, now=utcnow())
    if errors:
        return _index(errors=errors, failed=f"draft-{council.id}", status=400)
    db().commit()
    flash(_("The draft decision has been created. Check it, then submit it for signature."), "success")
    return redirect(url_for(".show", decision_id=decision.id))


@bp.post("/decisions/revocations")
@login_required
def draft_revocation():
    council = _drafting_council()
    errors: dict[str, list[str]] = {}
    title = request.form.get("title", "").strip()
    revoked = db().get(Decision, as_id(request.form.get("revokes")) or 0)
    if not title:
        errors["title"] = [_("Give the decision a title.")]
    if revoked is None or revoked.council_id != council.id:
        errors["revokes"] = [_("Choose the decision to revoke.")]
    if not errors:
        with refused_at(errors, "revokes"):
            decision = service.draft_revocation(db(), laurel.state.engine, signed_in_user(), revoked, title=title,
                                                now=utcnow())
    if errors:
        return _index(errors=errors, failed=f"revoke-{council.id}", status=400)
    db().commit()
    flash(_("The draft revocation has been created. Check it, then submit it for signature."), "success")
    return redirect(url_for(".show", decision_id=decision.id))


# --- a decision ------------------------------------------------------------------------------------------

def _page(decision: Decision, *, errors: dict[str, list[str]] | None = None, failed: str | None = None,
          general: list[str] | None = None, status: int = 200):
    user = signed_in_user()
    instance = _instance(decision)
    spec = laurel.state.engine.spec_of(db(), instance)
    revokes = db().get(Decision, decision.revokes_id) if decision.revokes_id else None
    revoked_by = [d for d in service.revocations(laurel.state.engine, db(), decision)
                  if service.can_view_decision(db(), user, d, today())]
    awardees = _awardees(decision)
    linked = _linked(user, [a.nomination for a in awardees])
    document = db().get(DecisionDocument, decision.id, options=[defer(DecisionDocument.data)])
    return render_template(
        "decisions/show.html", linked=linked, decision=decision, instance=instance, spec=spec, document=document,
        printable=_printable(decision, linked) if document and decision.kind == "award" else set(),
        council=db().get(Council, decision.council_id), period=db().get(Period, decision.period_id),
        revokes=revokes, revoked_by=revoked_by, awardees=awardees, choices=choices(decision, user),
        timeline=timeline(instance, created=_("Decision drafted")), vocabulary=laurel.state.engine.vocabulary,
        errors=errors or {}, failed=failed, general=general or [], form=request.form if failed else {}), status


@bp.get("/decisions/<int:decision_id>")
@login_required
def show(decision_id: int):
    return _page(_visible(decision_id))


@bp.post("/decisions/<int:decision_id>/act")
@login_required
def act(decision_id: int):
    decision = _visible(decision_id)
    user = signed_in_user()
    wanted = requested(choices(decision, user))
    try:
        event = service.act_on_decision(db(), laurel.state.engine, user, decision, wanted.trigger, now=utcnow(),
                                        acting_for=wanted.acting_for, comment=wanted.comment, inputs=wanted.inputs,
                                        expected_version=wanted.version)
    except Blocked as blocked:
        db().rollback()
        fields, general = field_errors(blocked.reasons)
        return _page(db().get(Decision, decision_id), errors=fields, failed=wanted.trigger, general=general,
                     status=400)
    db().commit()
    state = localized(laurel.state.engine.spec_of(db(), _instance(decision)).states[event.to_state].label)
    if decision.number:
        flash(_("Done. Decision no. %(number)s is now: %(state)s", number=decision.number, state=state), "success")
    else:
        flash(_("Done. The decision is now: %(state)s", state=state), "success")
    return redirect(url_for(".show", decision_id=decision_id))


@bp.get("/decisions/<int:decision_id>/awardees.xlsx")
@login_required
def awardees(decision_id: int):
    decision = _visible(decision_id)
    rows = [[i, a.nominee, a.position, a.unit, localized(a.award)] for i, a in enumerate(_awardees(decision), 1)]
    return xlsx_response(f"quyet-dinh-{decision.id}-danh-sach", _("Awardees"),
                         ["#", _("Nominee"), _("Position"), _("Unit"), _("Award")], rows)


# --- its documents ------------------------------------------------------------------------------------------

@bp.get("/decisions/<int:decision_id>/decision.pdf")
@login_required
def pdf(decision_id: int):
    """The signed decision: exactly the bytes stored when it was issued."""
    decision = _visible(decision_id)
    document = db().get(DecisionDocument, decision.id) or abort(404)
    return pdf_response(document.data, file_name("QD", decision.number), etag=document.sha256)


@bp.get("/decisions/<int:decision_id>/certificates.pdf")
@login_required
def certificates(decision_id: int):
    """Certificates of an issued award decision: ``?nomination=N`` for one awardee, else all the
    person may print (one page each)."""
    decision = _visible(decision_id)
    if db().get(DecisionDocument, decision.id, options=[defer(DecisionDocument.data)]) is None \
            or decision.kind != "award":
        abort(404)
    printable = _printable(decision, _linked(signed_in_user(), service.decision_items(db(), decision)))
    wanted = request.args.get("nomination")
    chosen = sorted(printable) if wanted is None else [n for n in [as_id(wanted)] if n in printable]
    if not chosen:
        abort(404)
    state = laurel.state
    contents = [certificate_content(db(), state.catalogue, state.domain.wording, decision, db().get(Nomination, n))
                for n in chosen]
    data = render_certificates(contents, state.definitions_root / "documents")
    return pdf_response(data, file_name("Giay-khen", decision.number, wanted), inline=True)
