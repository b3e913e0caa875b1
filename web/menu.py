"""The main menu: the areas the signed-in person works in, by their roles."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow.domain.notifications import unread_count

from .access import has_role
from .database import db

__all__ = ["init_app", "MenuItem"]


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    active: bool
    count: int = 0


# (endpoint, label, roles that see it — None: everyone signed in)
_ITEMS = [
    ("home.index", lambda: _("My tasks"), None),
    ("nominations.index", lambda: _("Nominations"), None),
    ("nominations.submissions", lambda: _("Submissions"), ("unit_officer", "unit_head")),
    ("clusters.index", lambda: _("Cluster"), ("cluster_member", "cluster_head", "cluster_deputy")),
    ("appraisal.index", lambda: _("Appraisal"), ("secretariat",)),
    ("council.index", lambda: _("Council sessions"), ("secretariat", "council_member", "chair")),
    ("decisions.index", lambda: _("Decisions"), None),
    ("history.index", lambda: _("Award history"), None),
    ("notifications.index", lambda: _("Notifications"), None),
    ("admin.index", lambda: _("Administration"), ("admin",)),
]


def _unread() -> int:
    return unread_count(db(), current_user.id)


_COUNTS = {"notifications.index": _unread}  # endpoint → the number its item shows


def menu() -> list[MenuItem]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, roles in _ITEMS:
        if endpoint not in current_app.view_functions or (roles and not has_role(*roles)):
            continue
        url = url_for(endpoint)
        active = request.endpoint == endpoint or (endpoint != "home.index" and request.path.startswith(url))
        count = _COUNTS[endpoint]() if endpoint in _COUNTS else 0
        items.append(MenuItem(label(), url, active, count))
    return items


def init_app(app: Flask) -> None:
    app.jinja_env.globals["menu"] = menu
