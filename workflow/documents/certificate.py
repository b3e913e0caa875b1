"""Bằng khen, Giấy khen, Giấy chứng nhận: the certificate an awardee of an issued decision
receives, one landscape A4 page per awardee, worded from ``wording.yaml``. Printed, not signed:
the signed decision is what proves the award."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from ..domain.catalogue import Catalogue
from ..domain.decisions import revoked_by
from ..domain.errors import DomainError
from ..domain.models import Body, Council, Decision, DecisionDocument, DecisionItem, Nomination, Period
from .content import Awardee, Letterhead, awardee_of, fill, letterhead
from .render import render_html
from .vietnamese import upper
from .wording import WordingFile, wording_for

__all__ = ["CertificateContent", "certificate_content", "render_certificates"]


@dataclass(frozen=True)
class CertificateContent:
    head: Letterhead
    authority: str
    title: str
    lead: str
    awardee: Awardee
    opening: str
    decision: str
    signature: list[str]
    signer_name: str


def certificate_content(session: Session, catalogue: Catalogue, wording_file: WordingFile, decision: Decision,
                        nomination: Nomination) -> CertificateContent:
    """The certificate of ``nomination`` under the issued ``decision`` (refused otherwise)."""
    document = session.get(DecisionDocument, decision.id, options=[defer(DecisionDocument.data)]) \
        if decision.id else None
    named = session.scalar(select(DecisionItem.nomination_id).where(DecisionItem.decision_id == decision.id,
                                                                    DecisionItem.nomination_id == nomination.id))
    if decision.kind != "award" or document is None or named is None:
        raise DomainError("Chỉ in giấy khen cho người có tên trong một quyết định khen thưởng đã ban hành",
                          "Certificates are printed for the awardees of an issued award decision")
    if revoked_by(session, decision.id) is not None:
        raise DomainError("Quyết định đã bị thu hồi: không in giấy khen", "The decision was revoked: no certificates")
    body = session.get(Body, session.get(Council, decision.council_id).body_id)
    w = wording_for(wording_file, body.code)
    award = catalogue.schema.awards.get(nomination.award_code)
    if award is None:
        raise DomainError("Danh hiệu, hình thức này không còn trong danh mục", "The award is no longer in the catalogue")
    values = {"award": award.name.vi, "award_upper": upper(award.name.vi),
              "year": session.get(Period, decision.period_id).year or decision.issued_on.year}
    return CertificateContent(
        head=letterhead(w, body, decision.issued_on), authority=w["authority"] or upper(body.name),
        title=fill((w["certificate_title"] or {}).get(award.kind, "{award_upper}"), **values),
        lead=fill((w["certificate_lead"] or {}).get(award.kind, ""), **values),
        awardee=awardee_of(session, nomination), opening=fill(w["certificate_opening"], **values),
        decision=f"Quyết định số {decision.number} ngày {decision.issued_on:%d/%m/%Y}",
        signature=list(w["signature"] or []), signer_name=document.signer_name)


def render_certificates(contents: list[CertificateContent], folder: Path) -> bytes:
    """The certificates as one PDF, a page each (PDF/A-3u)."""
    return render_html(folder, "certificate.html", "certificate.css",
                       certificates=contents).write_pdf(pdf_variant="pdf/a-3u")
