"""Emulation clusters (cụm thi đua): each cluster's year, as its member units work it.

A cluster's page for a period shows its members, the elected head and deputy, the covenant
(giao ước) the head records from the template, the review of the members' nominations — one by
one with the engine's actions, or several at once (the cluster's minutes uploaded once for
all) — the peer scoring, the acclaim vote (suy tôn) and the result the head records as the
data of the conference's minutes. Every rule is the domain's (``workflow.domain.clusters``)
or the engine's; the views parse forms and show the answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from workflow.domain import clusters as service
from workflow.domain import nominations as nominations_service
from workflow.domain.errors import NotAllowed
from workflow.domain.models import (AcclaimVote, Body, Cluster, ClusterLeadership, ClusterMembership, ClusterResult,
                                    ClusterScore, Covenant, Nomination, Period, User)
from workflow.models import WorkflowInstance
from workflow.workdays import utcnow

from .access import book, today
from .actions import Choice
from .auth import signed_in_user
from .database import db
from .extensions import laurel
from .i18n import localized
from .nominations import choices
from .params import ids_in
from .refusals import refused_at

bp = Blueprint("clusters", __name__)

CLUSTER_ROLES = frozenset({"cluster_head", "cluster_deputy", "cluster_member"})
VIEWERS = CLUSTER_ROLES | {"secretariat", "admin"}


# --- where the person stands ------------------------------------------------------------------

def current_period() -> Period | None:
    """The yearly period holding today, else the latest period."""
    on = today()
    return (db().scalar(select(Period).where(Period.kind == "year", Period.starts <= on, Period.ends >= on))
            or db().scalars(select(Period).order_by(Period.starts.desc())).first())


def _members(cluster: Cluster) -> list[Body]:
    return list(db().scalars(select(Body).join(ClusterMembership, ClusterMembership.body_id == Body.id)
                             .where(ClusterMembership.cluster_id == cluster.id).order_by(Body.name)))


def _cluster(cluster_id: int, period_code: str) -> tuple[Cluster, Period, frozenset[str]]:
    """The cluster and period, and the person's roles there (404 when they have none)."""
    cluster = db().get(Cluster, cluster_id) or abort(404)
    period = db().scalar(select(Period).where(Period.code == period_code)) or abort(404)
    roles = book().roles(cluster_ids=[cluster.id], council_id=cluster.council_id, period_id=period.id)
    if cluster.id not in book().cluster_ids() and not roles & VIEWERS:
        abort(404)
    return cluster, period, roles


def _my_unit(cluster: Cluster) -> int | None:
    try:
        return service.member_unit(db(), signed_in_user(), cluster, today())
    except NotAllowed:
        return None


# --- the index --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClusterCard:
    cluster: Cluster
    members: list[Body]
    head: Body | None
    deputy: Body | None
    waiting: int


@bp.get("/clusters")
@login_required
def index():
    ids = book().cluster_ids()
    if not ids:
        abort(403)
    period = current_period()
    cards = []
    for cluster in db().scalars(select(Cluster).where(Cluster.id.in_(ids)).order_by(Cluster.name)):
        leadership = db().get(ClusterLeadership, (cluster.id, period.id)) if period else None
        cards.append(ClusterCard(
            cluster, _members(cluster),
            db().get(Body, leadership.head_body_id) if leadership else None,
            db().get(Body, leadership.deputy_body_id) if leadership and leadership.deputy_body_id else None,
            len(review_queue(cluster, period)) if period else 0))
    periods = db().scalars(select(Period).where(Period.kind == "year").order_by(Period.starts.desc())).all()
    return render_template("clusters/index.html", cards=cards, period=period, periods=periods)


# --- the review queue ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Waiting:
    """A member unit's nomination waiting in the cluster's review, and what the person may do."""

    nomination: Nomination
    instance: WorkflowInstance
    nominee: str
    unit: Body
    state: object
    choices: list[Choice]


def _cluster_triggers(instance: WorkflowInstance) -> dict[str, object]:
    """The triggers the instance's state offers to the cluster's roles (trigger → label)."""
    spec = laurel.state.engine.spec_of(db(), instance)
    return {trigger: ts[0].label for trigger, ts in spec.candidates[instance.state].items()
            if any(CLUSTER_ROLES & set(t.roles) for t in ts)}


def review_queue(cluster: Cluster, period: Period) -> list[tuple[Nomination, WorkflowInstance]]:
    """The member units' nominations to the cluster's council whose step is the cluster's."""
    members = select(ClusterMembership.body_id).where(ClusterMembership.cluster_id == cluster.id)
    rows = db().execute(select(Nomination, WorkflowInstance)
                        .join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)
                        .where(Nomination.proposer_body_id.in_(members), Nomination.period_id == period.id,
                               Nomination.council_id == cluster.council_id)).all()
    waiting = [(n, i) for n, i in rows if _cluster_triggers(i)]
    return sorted(waiting, key=lambda row: (row[1].deadline_at is None, row[1].deadline_at or 0, row[0].id))


def _waiting(cluster: Cluster, period: Period) -> list[Waiting]:
    user, engine = signed_in_user(), laurel.state.engine
    items = []
    for nomination, instance in review_queue(cluster, period):
        mine = _cluster_triggers(instance)
        items.append(Waiting(nomination, instance, nominations_service.nominee_name(db(), nomination),
                             db().get(Body, nomination.proposer_body_id),
                             engine.spec_of(db(), instance).states[instance.state],
                             [c for c in choices(nomination, user) if c.option.trigger in mine]))
    return items


def _bulk_options(waiting: list[Waiting]) -> dict:
    """The cluster's actions the person is offered on any waiting item (trigger → the engine's option)."""
    options = {}
    for item in waiting:
        for choice in item.choices:
            options.setdefault(choice.option.trigger, choice.option)
    return options


def _bulk_needs(options: dict) -> tuple[list, dict[str, list]]:
    """What the bulk form must ask for: the actions needing a comment, and each document kind
    with the actions needing it (as the engine's options declare them)."""
    comment = [o.label for o in options.values() if o.comment == "required"]
    documents: dict[str, list] = {}
    for o in options.values():
        for kind in o.attachments:
            documents.setdefault(kind, []).append(o.label)
    return comment, documents


# --- the page -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberRow:
    body: Body
    role: str  # head | deputy | member
    scored: int
    voted: bool


def _page(cluster: Cluster, period: Period, roles: frozenset[str], *, errors: dict | None = None,
          failed: str | None = None, form=None, status: int = 200):
    members = _members(cluster)
    names = {b.id: b.name for b in members}
    leadership = db().get(ClusterLeadership, (cluster.id, period.id))
    covenant = db().get(Covenant, (cluster.id, period.id))
    my_unit = _my_unit(cluster)
    scores = list(db().scalars(select(ClusterScore).where(ClusterScore.cluster_id == cluster.id,
                                                         ClusterScore.period_id == period.id)))
    votes = list(db().scalars(select(AcclaimVote).where(AcclaimVote.cluster_id == cluster.id,
                                                       AcclaimVote.period_id == period.id)))
    rows = []
    for body in members:
        role = ("head" if leadership and leadership.head_body_id == body.id else
                "deputy" if leadership and leadership.deputy_body_id == body.id else "member")
        rows.append(MemberRow(body, role, len({s.scored_body_id for s in scores if s.scorer_body_id == body.id}),
                              any(v.voter_body_id == body.id for v in votes)))
    earlier: dict[int, dict[str, float]] = {}
    for s in scores:
        if s.scorer_body_id == my_unit:
            earlier.setdefault(s.scored_body_id, {})[s.criterion] = s.value
    recorded = db().get(ClusterResult, (cluster.id, period.id))
    computed = service.compute_result(db(), cluster, period.id) if covenant and "cluster_head" in roles else None
    waiting = _waiting(cluster, period)
    bulk = _bulk_options(waiting)
    periods = db().scalars(select(Period).where(Period.kind == "year").order_by(Period.starts.desc())).all()
    return render_template(
        "clusters/show.html", cluster=cluster, period=period, periods=periods, roles=roles, members=rows,
        names=names, names_of=lambda ids: "; ".join(names.get(i, str(i)) for i in ids), covenant=covenant,
        template=laurel.state.domain.covenant,
        can_sign=covenant is None and bool(roles & {"cluster_head", "cluster_deputy"}),
        my_unit=my_unit, others=[b for b in members if b.id != my_unit], earlier=earlier,
        my_vote=[v.candidate_body_id for v in votes if v.voter_body_id == my_unit],
        can_vote=my_unit is not None and "unit_head" in book().roles(body_id=my_unit),
        recorded=recorded, recorded_by=db().get(User, recorded.recorded_by) if recorded else None,
        computed=computed, waiting=waiting, bulk=bulk, needs=_bulk_needs(bulk),
        awards=laurel.state.catalogue.awards,
        vocabulary=laurel.state.engine.vocabulary, errors=errors or {}, failed=failed,
        form=form if form is not None else {}, now=utcnow()), status


@bp.get("/clusters/<int:cluster_id>/<period_code>")
@login_required
def show(cluster_id: int, period_code: str):
    return _page(*_cluster(cluster_id, period_code))


def _back(cluster: Cluster, period: Period, anchor: str):
    return redirect(url_for(".show", cluster_id=cluster.id, period_code=period.code) + "#" + anchor)


# --- the covenant ---------------------------------------------------------------------------------

@bp.post("/clusters/<int:cluster_id>/<period_code>/covenant")
@login_required
def sign_covenant(cluster_id: int, period_code: str):
    cluster, period, _roles = _cluster(cluster_id, period_code)
    template = laurel.state.domain.covenant
    service.sign_covenant(db(), signed_in_user(), cluster, period.id, template, on=today())
    db().commit()
    flash(_("The covenant has been recorded."), "success")
    return _back(cluster, period, "covenant")


# --- scoring ------------------------------------------------------------------------------------

def _parse_scores(covenant: Covenant) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The scores typed in the form (criterion → value), and the fields that are not numbers
    within the covenant's scale."""
    scores, errors = {}, {}
    for criterion in covenant.criteria:
        code = criterion["code"]
        raw = request.form.get(f"score:{code}", "").strip().replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not 0 <= value <= covenant.scale_max:
            errors[code] = [_("Enter a score from 0 to %(max)s.", max=covenant.scale_max)]
        else:
            scores[code] = value
    return scores, errors


def _recorded(cluster: Cluster, period: Period, roles: frozenset[str], record: Callable[[], object], *,
              step: str, anchor: str, field: str, done: Callable[[], str], errors: dict[str, list[str]] | None = None):
    """Runs ``record`` (one service call) unless the form already has ``errors``; a refusal comes
    back on the page at ``field`` of ``step`` with 400, else the change is committed and ``done()``
    is flashed."""
    errors = errors or {}
    if not errors:
        with refused_at(errors, field):
            record()
    if errors:
        db().rollback()
        return _page(cluster, period, roles, errors=errors, failed=step, form=request.form, status=400)
    db().commit()
    flash(done(), "success")
    return _back(cluster, period, anchor)


@bp.post("/clusters/<int:cluster_id>/<period_code>/scores/<int:body_id>")
@login_required
def record_scores(cluster_id: int, period_code: str, body_id: int):
    cluster, period, roles = _cluster(cluster_id, period_code)
    covenant = db().get(Covenant, (cluster.id, period.id)) or abort(404)
    scores, errors = _parse_scores(covenant)
    return _recorded(
        cluster, period, roles, lambda: service.record_scores(db(), signed_in_user(), cluster, period.id,
                                                              scored_body_id=body_id, scores=scores, on=today()),
        step=f"scores:{body_id}", anchor=f"score-{body_id}", field="", errors=errors,
        done=lambda: _("The scores for %(unit)s have been saved.", unit=db().get(Body, body_id).name))


# --- the acclaim vote ------------------------------------------------------------------------------

@bp.post("/clusters/<int:cluster_id>/<period_code>/vote")
@login_required
def cast_acclaim_vote(cluster_id: int, period_code: str):
    cluster, period, roles = _cluster(cluster_id, period_code)
    candidates = ids_in(request.form.getlist("candidate"))
    return _recorded(
        cluster, period, roles, lambda: service.cast_acclaim_vote(db(), signed_in_user(), cluster, period.id,
                                                                  candidates=candidates, on=today()),
        step="vote", anchor="vote", field="candidate", done=lambda: _("Your unit's vote has been recorded."))


# --- the result --------------------------------------------------------------------------------

@bp.post("/clusters/<int:cluster_id>/<period_code>/result")
@login_required
def record_result(cluster_id: int, period_code: str):
    cluster, period, roles = _cluster(cluster_id, period_code)
    tie = ids_in(request.form.getlist("tie"))
    return _recorded(
        cluster, period, roles, lambda: service.record_result(db(), signed_in_user(), cluster, period.id,
                                                              now=utcnow(), tie_decision=tie),
        step="result", anchor="result", field="tie",
        done=lambda: _("The result has been recorded as the minutes' data."))


# --- several nominations at once -----------------------------------------------------------------

@bp.post("/clusters/<int:cluster_id>/<period_code>/review")
@login_required
def review(cluster_id: int, period_code: str):
    cluster, period, roles = _cluster(cluster_id, period_code)
    waiting = _waiting(cluster, period)
    options = _bulk_options(waiting)
    trigger = request.form.get("trigger", "")
    option = options.get(trigger)
    if option is None:
        abort(403)
    chosen_ids = set(ids_in(request.form.getlist("nomination")))
    chosen = [item.nomination for item in waiting if item.nomination.id in chosen_ids]
    comment = request.form.get("comment", "")
    files = {}
    for kind in option.attachments:
        upload = request.files.get(f"doc:{kind}")
        if upload and upload.filename:
            files[kind] = (upload.filename, upload.read())
    errors: dict[str, list[str]] = {}
    if not chosen:
        errors["nomination"] = [_("Select at least one nomination.")]
    if option.comment == "required" and not comment.strip():
        errors["comment"] = [_("This action needs a comment; it is sent with every selected nomination.")]
    for kind in set(option.attachments) - set(files):
        errors[kind] = [_("Choose the file: %(document)s.", document=localized(laurel.state.engine.documents[kind]))]
    if errors:
        return _page(cluster, period, roles, errors=errors, failed="bulk", form=request.form, status=400)
    results = nominations_service.bulk_act(db(), laurel.state.engine, signed_in_user(), chosen, trigger, now=utcnow(),
                                           comment=comment, files=files)
    db().commit()
    names = {n.id: nominations_service.nominee_name(db(), n) for n in chosen}
    return render_template("clusters/bulk_result.html", results=results, names=names, cluster=cluster,
                           period=period, option=option,
                           back=url_for(".show", cluster_id=cluster.id, period_code=period.code) + "#review")
