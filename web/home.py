"""The start page: what awaits me, with counts, deadlines and overdue items first."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, render_template
from flask_login import login_required

from workflow.domain.worklist import tasks_for
from workflow.workdays import utcnow

from .auth import signed_in_user
from .database import db
from .extensions import laurel

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    state = laurel.state
    now = utcnow()
    tasks = tasks_for(db(), state.engine, state.catalogue, signed_in_user(), now)
    counts = Counter(t.kind for t in tasks)
    return render_template("home/index.html", tasks=tasks, counts=counts, now=now,
                           overdue=sum(t.overdue for t in tasks))
