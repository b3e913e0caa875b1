"""Xác thực văn bản: public pages (no sign-in) where anyone checks a decision — by the short
code printed under its QR code (``/v/<code>``), or by uploading a PDF to learn whether it is
exactly an issued decision and whether its signatures are valid."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from workflow.documents.content import Awardee, awardee_of
from workflow.documents.keys import Keys
from workflow.documents.verification import Verification, verify_pdf
from workflow.domain.decisions import decision_items, revoked_by
from workflow.domain.models import Body, Council, Decision, DecisionDocument

from .database import db
from .extensions import laurel
from .i18n import localized
from .pdf import file_name, pdf_response

bp = Blueprint("verify", __name__, url_prefix="/v")

CODE = re.compile(r"^[A-Z0-9]{6,16}$")
MAX_CHECKED_MB = 10  # a decision of 1,000 awardees is about 0.25 MB


@dataclass(frozen=True)
class Issued:
    """What the public page shows of an issued decision."""

    decision: Decision
    document: DecisionDocument
    issuer: str
    awardees: list[tuple[Awardee, str]]  # nominee, award name
    revoked_by: tuple[Decision, DecisionDocument | None] | None
    revokes: tuple[Decision, DecisionDocument | None] | None


def _record(session: Session, decision_id: int) -> DecisionDocument | None:
    """The stored document's record, without its bytes."""
    return session.get(DecisionDocument, decision_id, options=[defer(DecisionDocument.data)])


def _issued(session: Session, document: DecisionDocument) -> Issued:
    decision = session.get(Decision, document.decision_id)
    catalogue = laurel.state.catalogue
    awardees = [(awardee_of(session, n), localized(catalogue.name_of(n.award_code)))
                for n in decision_items(session, decision)]
    revoking = revoked_by(session, decision.id)
    revoked = session.get(Decision, decision.revokes_id) if decision.revokes_id else None
    return Issued(decision, document, session.get(Body, session.get(Council, decision.council_id).body_id).name,
                  awardees, (revoking, _record(session, revoking.id)) if revoking else None,
                  (revoked, _record(session, revoked.id)) if revoked else None)


def _by_code(code: str) -> DecisionDocument:
    code = code.strip().upper()
    document = db().scalar(select(DecisionDocument).options(defer(DecisionDocument.data))
                           .where(DecisionDocument.verify_code == code)) \
        if CODE.match(code) else None
    if document is None:
        abort(404)
    return document


@bp.get("/")
def index():
    return render_template("verify/check.html", result=None, issued=None)


@bp.get("/<code>")
def show(code: str):
    return render_template("verify/show.html", issued=_issued(db(), _by_code(code)))


@bp.get("/<code>/pdf")
def download(code: str):
    document = _by_code(code)
    decision = db().get(Decision, document.decision_id)
    return pdf_response(document.data, file_name("QD", decision.number), etag=document.sha256)


@bp.post("/")
def check():
    if (request.content_length or 0) > MAX_CHECKED_MB * 1024 * 1024:
        return render_template("verify/check.html", result=None, issued=None, error=_(
            "The file is larger than %(mb)s MB: it is not a decision issued here.", mb=MAX_CHECKED_MB)), 413
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    if not data:
        return render_template("verify/check.html", result=None, issued=None,
                               error=_("Choose a PDF file to check.")), 400
    result: Verification = verify_pdf(db(), data, Keys(laurel.state.keys_folder).trust_roots())
    issued = _issued(db(), result.document) if result.document else None
    return render_template("verify/check.html", result=result, issued=issued, filename=upload.filename)
