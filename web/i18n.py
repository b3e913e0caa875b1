"""Languages: Vietnamese by default, English complete; dates in Vietnamese formats and the
definitions' time zone. A switch in the header changes the language for the session."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, request, session, url_for
from flask_babel import format_date, format_datetime, get_locale

from .extensions import babel, laurel

__all__ = ["init_app", "LANGUAGES", "lang", "localized", "bp"]

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
_DATETIME = {"vi": "HH:mm 'ngày' dd/MM/yyyy", "en": "d MMM yyyy, HH:mm"}
_DATE = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}

bp = Blueprint("i18n", __name__)


def lang() -> str:
    """The language of this request: 'vi' or 'en'."""
    return str(get_locale() or "vi")[:2]


def _select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else current_app.config["BABEL_DEFAULT_LOCALE"]


def _select_timezone() -> str:
    calendar = laurel.state.definitions.calendar
    return str(calendar.zone) if calendar else "Asia/Ho_Chi_Minh"


def localized(value: Any) -> str:
    """The text of a vi/en label (a Label, a Reason, an error with .vi/.en) in this request's language."""
    if value is None:
        return ""
    return getattr(value, lang(), None) or getattr(value, "vi", None) or str(value)


def when(value: datetime | date | None, kind: str = "datetime") -> str:
    """A date or time as people read it in this language, in the local time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime) and kind == "datetime":
        return format_datetime(value, _DATETIME[lang()])
    return format_date(value, _DATE[lang()])


def due(value: datetime | None) -> str:
    """A deadline: one at local midnight reads 'end of <the day before>'."""
    if value is None:
        return ""
    calendar = laurel.state.definitions.calendar
    local = value.astimezone(calendar.zone) if calendar else value
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = format_date(local.date() - timedelta(days=1), _DATE[lang()])
        return f"hết ngày {day}" if lang() == "vi" else f"end of {day}"
    return when(value)


@bp.post("/lang/<code>")
def switch(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    target = request.form.get("next") or request.referrer or url_for("home.index")
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:  # only back into this site
        target = url_for("home.index")
    return redirect(target)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "vi")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["due"] = due
    app.jinja_env.filters["l"] = localized
    app.jinja_env.globals.update(lang=lang, LANGUAGES=LANGUAGES)
    app.register_blueprint(bp)
