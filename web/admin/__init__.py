"""Administration (quản trị): the organisation (bodies, councils, clusters), users, roles and
delegations, periods, the award catalogue and the deployed workflows — for the ``admin`` role
only (anyone else gets 403 on every page here).

Views stay thin: they parse a form, call ``workflow.domain.administration``, commit and
redirect; a refusal comes back at the form's fields with status 400. One exception to
"commit, then redirect": a new or reset password is shown in the answer to the POST itself,
once — it never travels in a redirect or in the session cookie.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from workflow.domain.administration import counts

from ..access import require_role
from ..database import db
from ..extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _administrators_only():
    """Every page here: signed in (else to the sign-in page), and an administrator (else 403)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_role("admin")
    return None


@bp.get("/")
def index():
    return render_template("admin/index.html", counts=counts(db()))


from . import organisation, people, settings  # noqa: E402,F401 - their views register on bp
