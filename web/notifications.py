"""Notifications in the app: what awaits me and what changed, unread first; mark read; the
link a mail carries (``/notifications/<id>/open``), which marks the notification read and goes
to the item — it never acts on the item itself."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from workflow.domain import notifications as service
from workflow.domain.models import Notification
from workflow.workdays import utcnow

from .database import db
from .params import page_number

bp = Blueprint("notifications", __name__)
PAGE = 30
_SHOWN = (service.AWAITS, service.CHANGED)


def _target(notification: Notification) -> str:
    """Where a notification leads: its nomination or decision (the list, if that page is missing)."""
    if notification.subject_kind == "nomination":
        return url_for("nominations.show", nomination_id=notification.subject_id)
    if notification.subject_kind == "decision" and "decisions.show" in current_app.view_functions:
        return url_for("decisions.show", decision_id=notification.subject_id)
    return url_for(".index")


@bp.get("/notifications")
@login_required
def index():
    show = request.args.get("show") if request.args.get("show") in _SHOWN else None
    unread = request.args.get("unread") == "1"
    page = page_number()
    total = service.count_listed(db(), current_user.id, kind=show, unread_only=unread)
    rows = service.listed(db(), current_user.id, kind=show, unread_only=unread, limit=PAGE, offset=(page - 1) * PAGE)
    filters = {k: v for k, v in (("show", show), ("unread", "1" if unread else None)) if v}
    return render_template("notifications/index.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), filters=filters, show=show, unread=unread,
                           unread_total=service.unread_count(db(), current_user.id), target=_target)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    if service.mark_read(db(), current_user.id, notification_id, utcnow()) is None:
        abort(404)
    db().commit()
    return redirect(url_for(".index", **request.args))


@bp.post("/notifications/read")
@login_required
def read_all():
    count = service.mark_all_read(db(), current_user.id, utcnow())
    db().commit()
    flash(ngettext("%(num)s notification marked as read.", "%(num)s notifications marked as read.", count), "success")
    return redirect(url_for(".index"))


@bp.get("/notifications/<int:notification_id>/open")
@login_required
def open_item(notification_id: int):
    """Marks the notification read and goes to its item (a link only reads; it acts on nothing)."""
    notification = service.mark_read(db(), current_user.id, notification_id, utcnow())
    if notification is None:
        abort(404)
    target = _target(notification)
    db().commit()
    return redirect(target)
