"""The request's database session: one per request, for writing when the request is a POST.

Views call ``db()``; a view that changes something commits (``db().commit()``) before it
redirects; anything not committed is rolled back when the request ends.
"""

from __future__ import annotations

from flask import Flask, g, request
from sqlalchemy.orm import Session

from .extensions import laurel

__all__ = ["db", "init_app"]


READ_ONLY_POSTS = {"verify.check", "i18n.switch"}  # forms that change nothing in the database


def db() -> Session:
    if "db" not in g:
        writes = request.method == "POST" and request.endpoint not in READ_ONLY_POSTS
        factory = laurel.state.write_sessions if writes else laurel.state.sessions
        g.db = factory()
    return g.db


def _close(_error: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
