"""Who may see what, for the views: the signed-in person's roles (read once per request) and
the checks that turn into 403 (not your role) or 404 (not something you can see)."""

from __future__ import annotations

from datetime import date

from flask import abort, g
from flask_login import current_user

from workflow.domain.models import Decision, Nomination, User
from workflow.domain.organisation import RoleBook, actor_for, scope_of
from workflow.domain.worklist import can_view
from workflow.workdays import utcnow

from .auth import signed_in_user
from .database import db

__all__ = ["book", "today", "has_role", "require_role", "visible_nomination", "roles_on"]


def today() -> date:
    return utcnow().date()


def book() -> RoleBook:
    """The signed-in person's roles today, read once per request."""
    if "role_book" not in g:
        g.role_book = RoleBook(db(), current_user.id, today())
    return g.role_book


def has_role(*roles: str) -> bool:
    """Whether the person holds any of ``roles`` anywhere (their scope is checked per item)."""
    mine = {a.role for a in book().assignments}
    if {"unit_officer", "unit_head"} & mine:
        mine |= {"cluster_member"} if book().cluster_ids() else set()
    return bool(mine & set(roles))


def require_role(*roles: str) -> None:
    if not has_role(*roles):
        abort(403)


def visible_nomination(nomination_id: int) -> Nomination:
    """The nomination, if the person may see it (404 otherwise: its existence is not revealed)."""
    nomination = db().get(Nomination, nomination_id)
    if nomination is None or not can_view(db(), signed_in_user(), nomination, today()):
        abort(404)
    return nomination


def roles_on(subject: Nomination | Decision, user: User | None = None) -> frozenset[str]:
    """The person's roles for one item (as the engine will see them)."""
    return book().roles(**scope_of(db(), subject)) if user is None else \
        actor_for(db(), user, subject, on=today()).roles
