"""Nominations and submissions: the unit's side, each nomination's page, and the list.

A unit officer creates a submission (tờ trình), adds nominees, uploads the dossier and sees,
before submitting, what is missing and whether each nominee is eligible (the engine's
``available``); the whole submission can be submitted at once. Every nomination has a page
with the actions the person may take now, the reasons the others are blocked, its documents,
its timeline (who, when, for whom, why) and its workflow diagram.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import func, select

from workflow import Blocked
from workflow.diagram import guard_labels, to_svg
from workflow.domain import nominations as service
from workflow.domain.dossier import attach
from workflow.domain.errors import DomainError
from workflow.domain.models import (Attachment, Body, Blob, Nomination, Period, Person, PublicComment,
                                    Submission, User)
from workflow.domain.organisation import actor_for
from workflow.domain.text import search_key
from workflow.domain.worklist import visible_nominations
from workflow.models import WorkflowInstance
from workflow.workdays import utcnow

from .access import book, today, visible_nomination
from .actions import Choice, field_errors, requested
from .actions import choices as offered_choices
from .auth import signed_in_user
from .database import db
from .export import xlsx_response
from .extensions import laurel
from .i18n import lang, localized
from .params import as_id, ids_in, page_number
from .refusals import refused_at
from .timeline import Entry
from .timeline import timeline as instance_timeline

bp = Blueprint("nominations", __name__)
PAGE = 25


# --- what the person may do ---------------------------------------------------------------------

def choices(nomination: Nomination, user: User) -> list[Choice]:
    """The actions the person's roles (or those of someone they act for) offer here."""
    return offered_choices(nomination, service.instance_of(db(), nomination), user)


# --- the timeline ---------------------------------------------------------------------------------

def timeline(nomination: Nomination) -> list[Entry]:
    files = {a.sha256: a for a in db().scalars(select(Attachment).where(Attachment.nomination_id == nomination.id))}
    return instance_timeline(service.instance_of(db(), nomination), created=_("Nomination created"), files=files)


# --- pages ------------------------------------------------------------------------------------------

def _diagram(nomination: Nomination) -> Markup:
    instance = service.instance_of(db(), nomination)
    spec = laurel.state.engine.spec_of(db(), instance)
    svg = to_svg(spec, laurel.state.engine.vocabulary, instance.state, lang(),
                 guard_labels(laurel.state.registry)).decode("utf-8")
    return Markup(svg[svg.index("<svg"):])


def _page(nomination: Nomination, *, errors: dict[str, list[str]] | None = None, failed: str | None = None,
          general: list[str] | None = None, status: int = 200):
    user = signed_in_user()
    instance = service.instance_of(db(), nomination)
    spec = laurel.state.engine.spec_of(db(), instance)
    award = laurel.state.catalogue.award(nomination.award_code)
    documents = db().scalars(select(Attachment).where(
        (Attachment.nomination_id == nomination.id) | (Attachment.submission_id == nomination.submission_id))
        .order_by(Attachment.id)).all()
    comments = db().scalars(select(PublicComment).where(PublicComment.nomination_id == nomination.id)
                            .order_by(PublicComment.received_on)).all()
    return render_template(
        "nominations/show.html", nomination=nomination, instance=instance, spec=spec, award=award,
        nominee=service.nominee_name(db(), nomination), unit=db().get(Body, nomination.proposer_body_id),
        person=db().get(Person, nomination.person_id) if nomination.person_id else None,
        period=db().get(Period, nomination.period_id), submission=db().get(Submission, nomination.submission_id),
        choices=choices(nomination, user), documents=documents, comments=comments, timeline=timeline(nomination),
        diagram=_diagram(nomination), vocabulary=laurel.state.engine.vocabulary, errors=errors or {},
        failed=failed, general=general or [], form=request.form if failed else {},
        can_upload=_can_upload(nomination, user), now=utcnow()), status


def _can_upload(nomination: Nomination, user: User) -> bool:
    """The unit's officer may add documents until the council has voted (supplements included)."""
    return "unit_officer" in actor_for(db(), user, nomination, on=today()).roles and \
        not laurel.state.engine.spec_of(db(), service.instance_of(db(), nomination)) \
        .states[service.instance_of(db(), nomination).state].final


@bp.get("/nominations/<int:nomination_id>")
@login_required
def show(nomination_id: int):
    return _page(visible_nomination(nomination_id))


@bp.get("/nominations/<int:nomination_id>/diagram.svg")
@login_required
def diagram(nomination_id: int):
    nomination = visible_nomination(nomination_id)
    return str(_diagram(nomination)), 200, {"Content-Type": "image/svg+xml; charset=utf-8"}


class DocumentRefused(Exception):
    """An uploaded file was refused (type, size); ``error`` says why, ``kind`` for which field."""

    def __init__(self, kind: str, error: DomainError):
        super().__init__(kind)
        self.kind, self.error = kind, error


def _uploads(prefix: str, kinds: set[str], user: User, **owner) -> dict[str, str]:
    """Stores the files uploaded as ``<prefix><kind>``; returns kind → content hash."""
    stored = {}
    documents = laurel.state.engine.documents
    for key, file in request.files.items():
        kind = key[len(prefix):]
        if key.startswith(prefix) and kind in kinds and file and file.filename:
            try:
                stored[kind] = attach(db(), documents, kind=kind, data=file.read(), filename=file.filename,
                                      user_id=user.id, now=utcnow(), **owner).sha256
            except DomainError as error:
                raise DocumentRefused(kind, error) from error
    return stored


def _add_documents(user: User, done: str, **owner) -> None:
    """Stores the dossier files of the posted form (any kind) for ``owner`` (a nomination or a
    submission) and says how it went; nothing is stored if one is refused."""
    try:
        if not _uploads("doc:", set(laurel.state.engine.documents), user, **owner):
            raise DocumentRefused("", DomainError("Hãy chọn một tệp", "Choose a file"))
    except DocumentRefused as refused:
        db().rollback()
        flash(localized(refused.error), "error")
    else:
        db().commit()
        flash(done, "success")


@bp.post("/nominations/<int:nomination_id>/act")
@login_required
def act(nomination_id: int):
    nomination = visible_nomination(nomination_id)
    user = signed_in_user()
    wanted = requested(choices(nomination, user))
    try:
        attachments = _uploads("doc:", set(wanted.option.attachments), user, nomination_id=nomination.id)
        event = service.act(db(), laurel.state.engine, user, nomination, wanted.trigger, now=utcnow(),
                            acting_for=wanted.acting_for, expected_version=wanted.version, comment=wanted.comment,
                            inputs=wanted.inputs, attachments=attachments)
    except Blocked as blocked:
        db().rollback()
        fields, general = field_errors(blocked.reasons)
        return _page(db().get(Nomination, nomination_id), errors=fields, failed=wanted.trigger, general=general,
                     status=400)
    except DocumentRefused as refused:
        db().rollback()
        return _page(db().get(Nomination, nomination_id), errors={refused.kind: [localized(refused.error)]},
                     failed=wanted.trigger, status=400)
    db().commit()
    label = laurel.state.engine.spec_of(db(), service.instance_of(db(), nomination)).states[event.to_state].label
    flash(_("Done. The nomination is now: %(state)s", state=localized(label)), "success")
    return redirect(url_for(".show", nomination_id=nomination_id))


@bp.post("/nominations/<int:nomination_id>/documents")
@login_required
def upload(nomination_id: int):
    nomination = visible_nomination(nomination_id)
    user = signed_in_user()
    if not _can_upload(nomination, user):
        abort(403)
    _add_documents(user, _("The document has been added to the dossier."), nomination_id=nomination.id)
    return redirect(url_for(".show", nomination_id=nomination_id) + "#documents")


@bp.get("/files/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = db().get(Attachment, attachment_id) or abort(404)
    if attachment.nomination_id is not None:
        visible_nomination(attachment.nomination_id)
    else:
        submission = db().get(Submission, attachment.submission_id)
        nominated = db().scalars(select(Nomination).where(Nomination.submission_id == submission.id)).first()
        if nominated is None:
            if submission.body_id not in book().bodies and "admin" not in book().global_roles:
                abort(404)
        else:
            visible_nomination(nominated.id)
    blob = db().get(Blob, attachment.sha256)
    return send_file(io.BytesIO(blob.data), download_name=attachment.filename, as_attachment=True,
                     mimetype=_MIME.get(blob.file_type, "application/octet-stream"))


_MIME = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet"}


# --- the list ------------------------------------------------------------------------------------

def _filters() -> dict[str, str]:
    keys = ("period", "unit", "cluster", "award", "state", "q")
    return {k: request.args.get(k, "").strip()[:100] for k in keys if request.args.get(k, "").strip()}


def _listed():
    from workflow.domain.models import ClusterMembership
    f = _filters()
    query = (visible_nominations(db(), book()).add_columns(WorkflowInstance)
             .join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)
             .outerjoin(Person, Person.id == Nomination.person_id)
             .outerjoin(Body, Body.id == Nomination.nominee_body_id))
    if f.get("period"):
        query = query.join(Period, Period.id == Nomination.period_id).where(Period.code == f["period"])
    if as_id(f.get("unit")) is not None:
        query = query.where(Nomination.proposer_body_id == as_id(f["unit"]))
    if as_id(f.get("cluster")) is not None:
        query = query.where(Nomination.proposer_body_id.in_(
            select(ClusterMembership.body_id).where(ClusterMembership.cluster_id == as_id(f["cluster"]))))
    if f.get("award"):
        query = query.where(Nomination.award_code == f["award"])
    if f.get("state"):
        query = query.where(WorkflowInstance.state == f["state"])
    if f.get("q"):
        pattern = f"%{search_key(f['q'])}%"
        query = query.where(Person.search_name.like(pattern) | Body.search_name.like(pattern))
    return query, f


@bp.get("/nominations")
@login_required
def index():
    query, filters = _listed()
    catalogue = laurel.state.catalogue
    if request.args.get("format") == "xlsx":
        rows = db().execute(query.order_by(Nomination.id)).all()
        return xlsx_response("de-nghi", _("Nominations"),
                             ["#", _("Nominee"), _("Award"), _("Proposing unit"), _("Period"), _("Step"), _("Deadline")],
                             [_row(n, i) for n, i in rows])
    page = page_number()
    total = db().scalar(select(func.count()).select_from(query.subquery()))
    rows = db().execute(query.order_by(Nomination.id.desc()).limit(PAGE).offset((page - 1) * PAGE)).all()
    states = {name: s.label for spec in _nomination_specs() for name, s in spec.states.items()}
    units = db().scalars(select(Body).where(Body.id.in_(select(Nomination.proposer_body_id))).order_by(Body.name)).all()
    periods = db().scalars(select(Period).order_by(Period.code.desc())).all()
    return render_template("nominations/index.html", rows=[(n, i, _row(n, i)) for n, i in rows], total=total,
                           page=page, pages=max(1, -(-total // PAGE)), filters=filters, states=states,
                           awards=catalogue.awards, units=units, periods=periods)


def _nomination_specs():
    """The workflows the catalogue's awards run (for the list of states to filter by)."""
    workflows = laurel.state.definitions.workflows
    return [workflows[w] for w in {a.workflow for a in laurel.state.catalogue.awards.values()} if w in workflows]


def _row(nomination: Nomination, instance: WorkflowInstance) -> list:
    spec = laurel.state.engine.spec_of(db(), instance)
    award = laurel.state.catalogue.award(nomination.award_code)
    return [nomination.id, service.nominee_name(db(), nomination), localized(award.name),
            db().get(Body, nomination.proposer_body_id).name, db().get(Period, nomination.period_id).code,
            localized(spec.states[instance.state].label), instance.deadline_at]


# --- submissions (tờ trình) --------------------------------------------------------------------------

def _officer_units() -> list[Body]:
    ids = [a.scope_id for a in book().assignments if a.scope_kind == "body" and a.role == "unit_officer"]
    return list(db().scalars(select(Body).where(Body.id.in_(ids)).order_by(Body.name)))


def _open_periods() -> list[Period]:
    return [p for p in db().scalars(select(Period).order_by(Period.code.desc()))
            if p.submission_opens <= today() <= p.submission_closes]


def _submissions_page(errors: dict[str, list[str]] | None = None, status: int = 200):
    units = [a.scope_id for a in book().assignments if a.scope_kind == "body"]
    rows = db().scalars(select(Submission).where(Submission.body_id.in_(units)).order_by(Submission.id.desc())).all()
    if request.method == "GET" and request.args.get("format") == "xlsx":
        names = {b.id: b.name for b in db().scalars(select(Body).where(Body.id.in_({s.body_id for s in rows})))}
        return xlsx_response("to-trinh", _("Submissions"), [_("Title"), _("Reference (the letter's own number)"),
                                                            _("Unit"), _("Created")],
                             [[s.title, s.reference or "", names[s.body_id], s.created_at] for s in rows])
    return render_template("nominations/submissions.html", rows=rows, units=_officer_units(), periods=_open_periods(),
                           awards=laurel.state.catalogue.awards, bodies={b.id: b for b in db().scalars(select(Body))},
                           counts=dict(db().execute(select(Nomination.submission_id, func.count())
                                                    .group_by(Nomination.submission_id)).all()),
                           errors=errors or {}, form=request.form if errors else {}), status


@bp.get("/submissions")
@login_required
def submissions():
    return _submissions_page()


@bp.post("/submissions")
@login_required
def create_submission():
    user = signed_in_user()
    body_id = as_id(request.form.get("unit"))
    period = db().scalar(select(Period).where(Period.code == request.form.get("period", "")))
    awards = request.form.getlist("awards")
    errors: dict[str, list[str]] = {}
    if body_id not in {u.id for u in _officer_units()}:
        errors["unit"] = [_("Choose one of your units.")]
    if period is None or period not in _open_periods():
        errors["period"] = [_("Choose a period open for submissions.")]
    if not awards:
        errors["awards"] = [_("Choose at least one award.")]
    if not request.form.get("title", "").strip():
        errors["title"] = [_("Give the submission a title.")]
    if not errors:
        with refused_at(errors, "awards"):
            submission = service.create_submission(db(), laurel.state.catalogue, user, body_id=body_id, period=period,
                                                   award_codes=awards, title=request.form.get("title", ""),
                                                   reference=request.form.get("reference") or None, now=utcnow())
    if errors:
        return _submissions_page(errors, 400)
    db().commit()
    return redirect(url_for(".submission", submission_id=submission.id))


def _visible_submission(submission_id: int) -> Submission:
    submission = db().get(Submission, submission_id)
    if submission is None:
        abort(404)
    if submission.body_id not in book().bodies and "admin" not in book().global_roles:
        nominated = db().scalars(select(Nomination).where(Nomination.submission_id == submission_id)).first()
        if nominated is None:
            abort(404)
        visible_nomination(nominated.id)
    return submission


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    sub = _visible_submission(submission_id)
    user = signed_in_user()
    catalogue = laurel.state.catalogue
    nominees = []
    for n in service.nominations_of(db(), sub.id):
        instance = service.instance_of(db(), n)
        spec = laurel.state.engine.spec_of(db(), instance)
        submit = next((c.option for c in choices(n, user) if c.option.trigger == "submit"), None)
        nominees.append((n, service.nominee_name(db(), n), spec.states[instance.state], submit))
    awards = {code for n, *_ in nominees for code in [n.award_code]}
    kinds = sorted({k for code in catalogue.awards for k in catalogue.award(code).submission_documents})
    people = db().scalars(select(Person).where(Person.body_id.in_(_descendants(sub.body_id))).order_by(Person.full_name)).all()
    units = db().scalars(select(Body).where(Body.id.in_(_descendants(sub.body_id))).order_by(Body.name)).all()
    documents = db().scalars(select(Attachment).where(Attachment.submission_id == sub.id)).all()
    return render_template("nominations/submission.html", sub=sub, nominees=nominees, awards=catalogue.awards,
                           used=awards, kinds=kinds, people=people, units=units, documents=documents,
                           unit=db().get(Body, sub.body_id), period=db().get(Period, sub.period_id),
                           officer=sub.body_id in {b.id for b in _officer_units()},
                           vocabulary=laurel.state.engine.vocabulary, results=None)


def _descendants(body_id: int) -> list[int]:
    found, frontier = [body_id], [body_id]
    while frontier:
        frontier = list(db().scalars(select(Body.id).where(Body.parent_id.in_(frontier))))
        found += frontier
    return found


def _require_officer(sub: Submission) -> None:
    if sub.body_id not in {b.id for b in _officer_units()}:
        abort(403)


@bp.post("/submissions/<int:submission_id>/nominees")
@login_required
def add_nominee(submission_id: int):
    sub = _visible_submission(submission_id)
    _require_officer(sub)
    subject = request.form.get("subject", "")
    person_id = as_id(subject[2:]) if subject.startswith("p:") else None
    body_id = as_id(subject[2:]) if subject.startswith("u:") else None
    nomination = service.add_nomination(db(), laurel.state.engine, laurel.state.catalogue, signed_in_user(), sub,
                                        award_code=request.form.get("award", ""), person_id=person_id,
                                        nominee_body_id=body_id, achievements=request.form.get("achievements"),
                                        now=utcnow())
    db().commit()
    flash(_("The nominee has been added."), "success")
    return redirect(url_for(".show", nomination_id=nomination.id))


@bp.post("/submissions/<int:submission_id>/documents")
@login_required
def upload_submission_document(submission_id: int):
    sub = _visible_submission(submission_id)
    _require_officer(sub)
    _add_documents(signed_in_user(), _("The document has been added to the submission."), submission_id=sub.id)
    return redirect(url_for(".submission", submission_id=submission_id) + "#documents")


@bp.post("/submissions/<int:submission_id>/submit")
@login_required
def submit_all(submission_id: int):
    sub = _visible_submission(submission_id)
    _require_officer(sub)
    chosen = set(ids_in(request.form.getlist("nomination")))
    items = [n for n in service.nominations_of(db(), sub.id) if not chosen or n.id in chosen]
    results = service.bulk_act(db(), laurel.state.engine, signed_in_user(), items, "submit", now=utcnow())
    db().commit()
    names = {n.id: service.nominee_name(db(), n) for n in items}
    return render_template("nominations/bulk_result.html", results=results, names=names,
                           back=url_for(".submission", submission_id=submission_id))
