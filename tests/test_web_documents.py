"""Documents in the browser: the signed decision for everyone entitled (exactly the stored
bytes), certificates for the awardees one may print, the minutes of a closed session."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from test_web_decisions import FIRST, TO_SIGN, act, decision, items
from workflow.domain.models import CouncilSession, DecisionDocument


def stored(web, decision_id) -> DecisionDocument:
    with web.extensions["laurel"].sessions() as s:
        document = s.get(DecisionDocument, decision_id)
        s.expunge(document)
        return document


def pages(response) -> int:
    return len(PdfReader(io.BytesIO(response.data)).pages)


@pytest.mark.parametrize("username, allowed", [
    ("vanthu.tb", True), ("uyvien.tb", True), ("canbo.tccs", True), ("truongphong.tccs", True),
    ("canbo.cb", False), ("thuongtruc.tw", False),
])
def test_the_signed_decision_for_everyone_entitled(web, client_as, username, allowed):
    issued = decision(web, FIRST)
    response = client_as(username).get(f"/decisions/{issued.id}/decision.pdf")
    if not allowed:
        assert response.status_code == 404
        return
    assert response.status_code == 200 and response.data == stored(web, issued.id).data
    assert response.headers["Content-Type"] == "application/pdf"
    assert "QD-1-QD-BTCTU.pdf" in response.headers["Content-Disposition"]


def test_no_pdf_before_the_issue_and_the_page_says_when_it_comes(web, client_as):
    draft = decision(web, TO_SIGN)
    client = client_as("vanthu.tb", lang="en")
    assert client.get(f"/decisions/{draft.id}/decision.pdf").status_code == 404
    assert "made when the clerk numbers and issues" in client.get(f"/decisions/{draft.id}").get_data(as_text=True)


def test_issuing_in_the_browser_makes_the_signed_pdf(web, client_as):
    draft = decision(web, TO_SIGN)
    assert act(client_as("chutich.tb"), web, draft.id, "sign").status_code == 302
    clerk = client_as("vanthu.tb", lang="en")
    assert act(clerk, web, draft.id, "issue").status_code == 302
    page = clerk.get(f"/decisions/{draft.id}").get_data(as_text=True)
    document = stored(web, draft.id)
    assert "Download the signed decision (PDF)" in page and f"/v/{document.verify_code}" in page
    text = PdfReader(io.BytesIO(clerk.get(f"/decisions/{draft.id}/decision.pdf").data)).pages[0].extract_text()
    assert "Số: 4/QĐ-BTCTU" in text and "QUYẾT ĐỊNH" in text


def test_the_clerk_prints_every_certificate_a_unit_only_its_own(web, client_as):
    issued = decision(web, FIRST)
    awardees = items(web, issued.id)
    everything = client_as("vanthu.tb").get(f"/decisions/{issued.id}/certificates.pdf")
    assert everything.status_code == 200 and pages(everything) == len(awardees)
    unit = client_as("canbo.tccs")
    mine = unit.get(f"/decisions/{issued.id}/certificates.pdf?nomination={awardees[0].id}")
    assert mine.status_code == 200 and pages(mine) == 1
    assert "GIẤY CHỨNG NHẬN" in PdfReader(io.BytesIO(mine.data)).pages[0].extract_text()
    assert unit.get(f"/decisions/{issued.id}/certificates.pdf?nomination=999999").status_code == 404
    assert unit.get(f"/decisions/{issued.id}/certificates.pdf?nomination=abc").status_code == 404


def test_the_minutes_of_a_closed_session_for_the_council(web, client_as):
    with web.extensions["laurel"].sessions() as s:
        closed = s.scalars(select(CouncilSession).where(CouncilSession.status == "closed")).first()
        still_open = s.scalars(select(CouncilSession).where(CouncilSession.status == "open")).first()
    member = client_as("uyvien.tb")
    response = member.get(f"/sessions/{closed.id}/minutes.pdf")
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "BIÊN BẢN HỌP HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG" in text and closed.title in text
    assert "Đạt" in text
    if still_open is not None:
        assert member.get(f"/sessions/{still_open.id}/minutes.pdf").status_code == 404
    assert client_as("canbo.tccs").get(f"/sessions/{closed.id}/minutes.pdf").status_code == 404


def test_a_revoked_decision_prints_no_certificates(web, client_as):
    from test_web_decisions import REVOKED
    revoked = decision(web, REVOKED)
    clerk = client_as("vanthu.tb", lang="en")
    assert clerk.get(f"/decisions/{revoked.id}/certificates.pdf").status_code == 404
    page = clerk.get(f"/decisions/{revoked.id}").get_data(as_text=True)
    assert "certificates.pdf" not in page and "decision.pdf" in page


def test_odd_numbers_in_a_request_are_refused_not_crashed_on(web, client_as):
    issued = decision(web, FIRST)
    clerk = client_as("vanthu.tb")
    for odd in ("²", "9" * 30, "-1", "1e3"):
        assert clerk.get(f"/decisions/{issued.id}/certificates.pdf?nomination={odd}").status_code == 404
    office = client_as("thuongtruc.tb")
    response = office.post("/decisions", data={"council": "2", "title": "QĐ", "period": "1", "nomination": ["²", "9" * 30]})
    assert response.status_code in (400, 404)
