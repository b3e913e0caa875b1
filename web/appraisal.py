"""The standing office's desk (cơ quan thường trực): appraisal and public posting.

The queue holds the nominations of the office's councils whose step waits for the office —
appraisal, a public posting to close, a council vote to record — overdue first, each with its
working-day clock (entered on, deadline, working days left, from the engine's calendar). The
nominations posted publicly are listed with their end dates, the comments received (recorded
here) and the action that closes the posting; the nominations returned to their units for
supplements are listed with the day they lapse. Acting on one — asking for supplements,
declaring it ineligible, accepting it with the appraisal report — is the engine's, on the
nomination's page or from the compact forms here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from workflow.domain import nominations as nominations_service
from workflow.domain import posting
from workflow.domain.models import Body, Council, Nomination
from workflow.models import WorkflowInstance
from workflow.workdays import utcnow

from .access import book, require_role, visible_nomination
from .actions import Choice
from .auth import signed_in_user
from .database import db
from .export import xlsx_response
from .extensions import laurel
from .i18n import localized
from .nominations import choices

bp = Blueprint("appraisal", __name__)

ROLE = "secretariat"


# --- the working-day clock ------------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    """A step's deadline as the office reads it: ``days`` working days left, or — when
    ``overdue`` — working days since its last day."""

    deadline: datetime
    overdue: bool
    days: int


def clock(deadline: datetime | None, now: datetime) -> Clock | None:
    if deadline is None:
        return None
    left = laurel.state.engine.calendar.working_days_left(deadline, now)
    overdue = deadline <= now
    return Clock(deadline, overdue, max(0, -left if overdue else left))


# --- the office's nominations -------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    nomination: Nomination
    instance: WorkflowInstance
    nominee: str
    unit: Body
    council: Council
    state: object  # the state's spec: label, final
    actions: tuple  # the labels of what the office may do at this step
    clock: Clock | None
    choices: list[Choice]


def _councils() -> dict[int, Council]:
    ids = {a.scope_id for a in book().assignments if a.role == ROLE and a.scope_kind == "council"}
    return {c.id: c for c in db().scalars(select(Council).where(Council.id.in_(ids)))}


def _office_triggers(spec, state: str) -> dict[str, object]:
    """The triggers a state offers the office as a task (trigger → label)."""
    return {trigger: ts[0].label for trigger, ts in spec.candidates[state].items()
            if any(ROLE in t.roles and t.task for t in ts)}


def _returned_to_unit(spec, state: str) -> bool:
    """A step the office sent the nomination to, that runs against a deadline while the
    unit acts (the request for supplements, as the workflow defines it)."""
    return (not spec.states[state].final and spec.states[state].deadline is not None
            and not _office_triggers(spec, state) and any(ROLE in t.roles and t.to == state for t in spec.transitions))


def _rows(councils: dict[int, Council], now: datetime) -> tuple[list[Row], list[Row], list[Row]]:
    """(the queue, the nominations posted publicly, those returned for supplements)."""
    engine, user = laurel.state.engine, signed_in_user()
    queue, posted, returned = [], [], []
    rows = db().execute(select(Nomination, WorkflowInstance)
                        .join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)
                        .where(Nomination.council_id.in_(councils))).all()
    for nomination, instance in rows:
        spec = engine.spec_of(db(), instance)
        mine = _office_triggers(spec, instance.state)
        back = not mine and _returned_to_unit(spec, instance.state)
        if not mine and not back:
            continue
        row = Row(nomination, instance, nominations_service.nominee_name(db(), nomination),
                  db().get(Body, nomination.proposer_body_id), councils[nomination.council_id],
                  spec.states[instance.state], tuple(mine.values()), clock(instance.deadline_at, now),
                  [c for c in choices(nomination, user) if c.option.trigger in mine] if mine else [])
        (queue if mine else returned).append(row)
        if posting.END_POSTING in mine:
            posted.append(row)
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def urgency(row: Row):
        return (not (row.clock and row.clock.overdue), row.instance.deadline_at or far, row.instance.state_entered_at,
                row.nomination.id)
    return sorted(queue, key=urgency), sorted(posted, key=urgency), sorted(returned, key=urgency)


# --- the page -----------------------------------------------------------------------------------

def _page(*, errors: dict | None = None, failed: str | None = None, form=None, status: int = 200):
    require_role(ROLE)
    now = utcnow()
    councils = _councils()
    queue, posted, returned = _rows(councils, now)
    steps = Counter(row.instance.state for row in queue)
    labels = {row.instance.state: row.state.label for row in queue}
    step = request.args.get("step", "")
    shown = [row for row in queue if row.instance.state == step] if step in steps else queue
    if request.method == "GET" and request.args.get("format") == "xlsx":
        return xlsx_response("tham-dinh", _("Appraisal"), [_("Nomination no."), _("Nominee"), _("Award"), _("Unit"),
                                                          _("Step"), _("Deadline of this step")],
                             [[r.nomination.id, r.nominee, localized(laurel.state.catalogue.award(
                                 r.nomination.award_code).name), r.unit.name, localized(r.state.label),
                               r.instance.deadline_at] for r in shown])
    comments = posting.comments_of(db(), [row.nomination.id for row in posted])
    local_today = now.astimezone(laurel.state.engine.calendar.zone).date()
    return render_template(
        "appraisal/index.html", councils=list(councils.values()), queue=queue, shown=shown,
        step=step if step in steps else "", steps=steps, labels=labels,
        overdue=Counter(row.instance.state for row in queue if row.clock and row.clock.overdue),
        overdue_total=sum(1 for row in queue if row.clock and row.clock.overdue),
        posted=posted, returned=returned, comments=comments, today=local_today.isoformat(),
        closing={row.nomination.id: c for row in posted for c in row.choices
                 if c.option.trigger == posting.END_POSTING},
        awards=laurel.state.catalogue.awards, vocabulary=laurel.state.engine.vocabulary,
        errors=errors or {}, failed=failed, form=form if form is not None else {}, now=now), status


@bp.get("/appraisal")
@login_required
def index():
    return _page()


@bp.post("/appraisal/posting/<int:nomination_id>/comments")
@login_required
def record_public_comment(nomination_id: int):
    require_role(ROLE)
    nomination = visible_nomination(nomination_id)
    raw = request.form.get("received_on", "").strip()
    try:
        received_on = date.fromisoformat(raw)
    except ValueError:
        return _page(errors={"received_on": [_("Enter the day the comment was received.")]},
                     failed=f"comment:{nomination_id}", form=request.form, status=400)
    try:
        posting.record_public_comment(db(), laurel.state.engine, signed_in_user(), nomination,
                                      text=request.form.get("text", ""), author=request.form.get("author"),
                                      received_on=received_on, now=utcnow())
    except posting.CommentRefused as refused:
        db().rollback()
        return _page(errors={refused.field: [localized(refused)]}, failed=f"comment:{nomination_id}",
                     form=request.form, status=400)
    db().commit()
    flash(_("The comment has been recorded for %(name)s.",
            name=nominations_service.nominee_name(db(), nomination)), "success")
    return redirect(url_for(".index") + f"#posting-{nomination_id}")

