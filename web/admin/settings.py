"""Periods and their submission windows; the award catalogue's rules in words; the deployed
workflows, each version with its problems (path:line) and its diagram."""

from __future__ import annotations

import os

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from workflow.diagram import guard_labels, to_svg
from workflow.domain import administration as service
from workflow.domain.models import Period

from ..database import db
from ..extensions import laurel
from ..i18n import lang
from . import bp
from .common import edit
from .forms import PeriodForm


@bp.get("/periods")
def periods():
    rows = db().scalars(select(Period).order_by(Period.starts.desc(), Period.code.desc())).all()
    return render_template("admin/periods.html", rows=rows)


def _period(period: Period | None):
    return edit(PeriodForm(obj=period), lambda v: service.save_period(db(), period, **v),
                title=period.name if period else _("New period"), saved_message=_("The period has been saved."),
                done=lambda _p: url_for(".periods"), back=url_for(".periods"))


@bp.route("/periods/new", methods=["GET", "POST"])
def new_period():
    return _period(None)


@bp.route("/periods/<int:period_id>", methods=["GET", "POST"])
def period(period_id: int):
    return _period(db().get(Period, period_id) or abort(404))


@bp.get("/catalogue")
def catalogue():
    cat = laurel.state.catalogue
    awards = [(code, award, service.describe_vote(award.vote),
               [service.describe_prerequisite(p, cat) for p in award.prerequisites],
               service.describe_quota(award.quota, cat) if award.quota else None)
              for code, award in cat.awards.items()]
    return render_template("admin/catalogue.html", awards=awards, catalogue=cat,
                           vocabulary=laurel.state.definitions.vocabulary, path=_shown(cat.path))


# --- workflow definitions ----------------------------------------------------------------------------------

def _shown(path: str) -> str:
    """A definitions file's path relative to the definitions folder."""
    root = str(laurel.state.definitions_root)
    try:
        relative = os.path.relpath(path, root)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def _svg(spec) -> Markup:
    svg = to_svg(spec, laurel.state.definitions.vocabulary, None, lang(),
                 guard_labels(laurel.state.registry)).decode("utf-8")
    return Markup(svg[svg.index("<svg"):])


@bp.get("/workflows")
def workflows():
    """Each deployed workflow and version: does it load, its problems, its diagram (inline for the
    current versions; on request for older ones)."""
    domain = laurel.state.domain
    deployed, undeployed = service.deployed_workflows(db(), domain)
    diagrams = {(w.workflow_id, w.version): _svg(w.spec) for w in deployed if w.current and w.spec is not None}
    problems = [f"{_shown(p.path)}:{p.line}: {p.message}"
                for p in sorted(domain.problems, key=lambda p: (p.path, p.line, p.message))]
    return render_template("admin/workflows.html", deployed=deployed, undeployed=undeployed, diagrams=diagrams,
                           problems=problems, shown=_shown)


@bp.get("/workflows/<workflow_id>/<int:version>.svg")
def diagram(workflow_id: str, version: int):
    deployed, _undeployed = service.deployed_workflows(db(), laurel.state.domain)
    found = next((w for w in deployed if (w.workflow_id, w.version) == (workflow_id, version)), None)
    if found is None or found.spec is None:
        abort(404)
    return str(_svg(found.spec)), 200, {"Content-Type": "image/svg+xml; charset=utf-8"}
