"""Award history (lịch sử khen thưởng): who holds which award for which period — searched by
name (without diacritics), award, period and unit, revoked awards on request; paged, and as XLSX."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from workflow.domain.history import HistoryRow, search
from workflow.domain.models import Body, Period

from .database import db
from .export import xlsx_response
from .extensions import laurel
from .i18n import localized
from .params import as_id, page_number

bp = Blueprint("history", __name__)
PAGE = 25
EXPORT_LIMIT = 50_000


def _filters() -> dict[str, str]:
    keys = ("q", "award", "period", "unit", "revoked")
    return {k: request.args.get(k, "").strip()[:100] for k in keys if request.args.get(k, "").strip()}


def _search(filters: dict[str, str], *, limit: int, offset: int = 0) -> list[HistoryRow]:
    unit = filters.get("unit", "")
    return search(db(), text=filters.get("q"), award_code=filters.get("award"), period_code=filters.get("period"),
                  body_id=as_id(unit), include_revoked=filters.get("revoked") == "1",
                  limit=limit, offset=offset)


def _award_name(code: str) -> str:
    awards = laurel.state.catalogue.awards
    return localized(awards[code].name) if code in awards else code


@bp.get("/history")
@login_required
def index():
    filters = _filters()
    if request.args.get("format") == "xlsx":
        rows = _search(filters, limit=EXPORT_LIMIT)
        return xlsx_response("lich-su-khen-thuong", _("Award history"),
                             [_("Holder"), _("Unit"), _("Award"), _("Period"), _("Decision"), _("Awarded on"),
                              _("Revoked")],
                             [[r.holder, r.unit or "", _award_name(r.record.award_code), r.period,
                               r.record.decision_number or "", r.record.awarded_on,
                               _("yes") if r.record.revoked_by_decision_id else ""] for r in rows])
    page = page_number()
    found = _search(filters, limit=PAGE + 1, offset=(page - 1) * PAGE)  # one more: is there a next page?
    return render_template("history/index.html", rows=found[:PAGE], more=len(found) > PAGE, page=page,
                           filters=filters, awards=laurel.state.catalogue.awards, award_name=_award_name,
                           periods=db().scalars(select(Period).order_by(Period.code.desc())).all(),
                           units=db().scalars(select(Body).order_by(Body.name)).all())
