"""Error pages: a styled page in the person's language for every error — never a stack trace.

A conflict ("someone acted on this first") is a 409 with a link to reload; a refusal by the
rules shows its reasons; anything unexpected is logged and shown as a plain 500 page.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflow import Blocked, Conflict
from workflow.domain.errors import DomainError, NotAllowed

from .i18n import localized
from .params import holds_control_characters

log = logging.getLogger(__name__)

_TITLES = {
    400: lambda: _("The request cannot be handled"),
    403: lambda: _("You may not do this"),
    404: lambda: _("Page not found"),
    405: lambda: _("This page does not take that kind of request"),
    409: lambda: _("Someone acted on this first"),
    413: lambda: _("The file is too large"),
    500: lambda: _("Something went wrong on our side"),
}
_HINTS = {
    403: lambda: _("Your role does not allow this here. If you think it should, ask your administrator."),
    404: lambda: _("The page may have moved, or the link is mistyped."),
    409: lambda: _("Nothing you sent was saved. Reload the page to see the current state, then try again."),
    413: lambda: _("Files may be at most the size shown on the form."),
    500: lambda: _("The error has been logged. Please try again in a moment."),
}


def page(code: int, message: str | None = None, reasons: list[str] | None = None):
    title = _TITLES.get(code, _TITLES[400])()
    hint = message or _HINTS.get(code, lambda: "")()
    return render_template("errors/error.html", code=code, title=title, hint=hint, reasons=reasons or [],
                           reload=request.full_path.rstrip("?") if request.method == "GET" else request.referrer), code


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters():
        if holds_control_characters():
            return page(400, _("What was sent holds a control character, which is not text. Remove it and try "
                               "again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        return page(code if code in _TITLES else 400)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return page(400, _("This form has expired or was sent from elsewhere. Reload the page and try again."))

    @app.errorhandler(Conflict)
    def conflict(_error: Conflict):
        return page(409)

    @app.errorhandler(NotAllowed)
    def not_allowed(error: NotAllowed):
        return page(403, localized(error))

    @app.errorhandler(Blocked)
    def blocked(error: Blocked):
        return page(400, _("This cannot be done now:"), [localized(r) for r in error.reasons])

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        return page(400, localized(error))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return page(500)
