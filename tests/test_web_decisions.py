"""Decisions in the browser: who sees which, drafting (awards and revocations), signing, issuing
(the number, the awards), the awardee list as XLSX, the engine's refusals and stale forms."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from workflow.domain.models import AgendaItem, CouncilSession, Decision, DecisionItem, Nomination, User
from workflow.models import WorkflowInstance

TO_SIGN = "Quyết định công nhận danh hiệu Tập thể lao động tiên tiến năm 2026"
FIRST = "Quyết định công nhận danh hiệu Lao động tiên tiến năm 2026 (Phòng Tổ chức cơ sở đảng - đảng viên)"
REVOKED = "Quyết định công nhận danh hiệu Lao động tiên tiến năm 2026 (Phòng Cán bộ)"
REVOKING = "Quyết định thu hồi " + REVOKED
FIGHTERS = "Phiên họp xét danh hiệu Chiến sĩ thi đua năm 2026"


def _sessions(web):
    return web.extensions["laurel"].sessions()


def decision(web, title) -> Decision:
    with _sessions(web) as s:
        return s.scalar(select(Decision).where(Decision.title == title))


def version(web, decision_id) -> int:
    with _sessions(web) as s:
        return s.get(WorkflowInstance, s.get(Decision, decision_id).instance_id).version


def state(web, instance_of) -> str:
    with _sessions(web) as s:
        return s.get(WorkflowInstance, instance_of.instance_id).state


def items(web, decision_id) -> list[Nomination]:
    with _sessions(web) as s:
        return list(s.scalars(select(Nomination).join(DecisionItem).where(DecisionItem.decision_id == decision_id)))


def act(client, web, decision_id, trigger, **data):
    return client.post(f"/decisions/{decision_id}/act",
                       data={"trigger": trigger, "version": version(web, decision_id), **data})


@pytest.mark.parametrize("username, sees", [
    ("thuongtruc.tb", {TO_SIGN, FIRST, REVOKED, REVOKING}),
    ("chutich.tb", {TO_SIGN, FIRST, REVOKED, REVOKING}),
    ("vanthu.tb", {TO_SIGN, FIRST, REVOKED, REVOKING}),
    ("uyvien.tb", {TO_SIGN, FIRST, REVOKED, REVOKING}),
    ("canbo.tccs", {FIRST}),                 # the unit's issued decision, not the draft naming it
    ("truongphong.tccs", {FIRST}),
    ("canbo.cb", {REVOKED, REVOKING}),       # the revoked decision and the one revoking it
    ("thuongtruc.tw", set()),
    ("thanhvien.ht", set()),
])
def test_the_list_shows_the_decisions_one_may_see(web, client_as, username, sees):
    response = client_as(username, lang="en").get("/decisions")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert {t for t in (TO_SIGN, FIRST, REVOKED, REVOKING) if f">{t}</a>" in page} == sees
    if not sees:
        assert "No decisions to show." in page


def test_the_list_has_number_council_state_and_date(web, client_as):
    page = client_as("canbo.tccs", lang="en").get("/decisions").get_data(as_text=True)
    assert "1/QĐ-BTCTU" in page and "Hội đồng Thi đua - Khen thưởng Ban Tổ chức Tỉnh ủy Thái Bình" in page
    assert "Issued" in page and "30 Oct 2026" in page
    assert "Draft a decision" not in page


@pytest.mark.parametrize("username", ["thuongtruc.tb", "chutich.tb", "vanthu.tb", "uyvien.tb"])
def test_a_decision_page_renders_for_each_council_role(web, client_as, username):
    response = client_as(username, lang="en").get(f"/decisions/{decision(web, TO_SIGN).id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert TO_SIGN in page and "Awaiting signature" in page and "Not numbered yet" in page
    assert "Phòng Tổ chức cơ sở đảng - đảng viên" in page and "Phòng Cán bộ" in page
    assert "The signed PDF is made when the clerk numbers and issues the decision." in page
    assert "Submit for signature → Awaiting signature" in page  # the timeline


@pytest.mark.parametrize("username, title", [("canbo.tccs", TO_SIGN), ("canbo.tccs", REVOKED),
                                             ("thuongtruc.tw", FIRST), ("canbo.cb", FIRST)])
def test_a_decision_one_may_not_see_is_not_found(web, client_as, username, title):
    decision_id = decision(web, title).id
    client = client_as(username)
    assert client.get(f"/decisions/{decision_id}").status_code == 404
    assert client.get(f"/decisions/{decision_id}/awardees.xlsx").status_code == 404
    assert act(client, web, decision_id, "sign").status_code == 404


def test_each_role_is_offered_its_own_steps(web, client_as):
    decision_id = decision(web, TO_SIGN).id
    chair = client_as("chutich.tb", lang="en").get(f"/decisions/{decision_id}").get_data(as_text=True)
    assert ">Sign the decision</button>" in chair and ">Return the draft</button>" in chair
    clerk = client_as("vanthu.tb", lang="en").get(f"/decisions/{decision_id}").get_data(as_text=True)
    assert "Sign the decision" not in clerk and "Nothing for you to do on this decision now." in clerk
    office = client_as("thuongtruc.tb", lang="en").get(f"/decisions/{decision_id}").get_data(as_text=True)
    assert ">Cancel the draft</button>" in office and "Sign the decision" not in office
    assert act(client_as("vanthu.tb"), web, decision_id, "sign").status_code == 403


def test_the_chair_signs_and_the_clerk_issues(web, client_as):
    d = decision(web, TO_SIGN)
    assert act(client_as("chutich.tb"), web, d.id, "sign").status_code == 302
    clerk = client_as("vanthu.tb", lang="en")
    page = clerk.get(f"/decisions/{d.id}").get_data(as_text=True)
    assert "Signed; awaiting issue" in page and ">Number and issue</button>" in page
    response = act(clerk, web, d.id, "issue")
    assert response.status_code == 302
    page = clerk.get(f"/decisions/{d.id}").get_data(as_text=True)
    issued = decision(web, TO_SIGN)
    assert issued.number == "4/QĐ-BTCTU" and f"No. {issued.number}" in page and "Issued on" in page
    assert "Sign the decision → Signed; awaiting issue" in page and "Number and issue → Issued" in page
    assert all(state(web, n) == "awarded" for n in items(web, d.id))
    # now the unit sees it too
    assert TO_SIGN in client_as("canbo.tb", lang="en").get("/decisions").get_data(as_text=True)


def test_a_required_comment_comes_back_at_the_field(web, client_as):
    d = decision(web, TO_SIGN)
    response = act(client_as("chutich.tb", lang="en"), web, d.id, "return_draft", comment="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'aria-invalid="true"' in page and "A comment is required" in page
    assert state(web, d) == "awaiting_signature"
    response = act(client_as("chutich.tb", lang="en"), web, d.id, "return_draft", comment="Sửa trích yếu")
    assert response.status_code == 302 and state(web, d) == "draft"


def test_a_stale_form_is_a_conflict(web, client_as):
    d = decision(web, TO_SIGN)
    response = client_as("chutich.tb", lang="en").post(f"/decisions/{d.id}/act",
                                                       data={"trigger": "sign", "version": version(web, d.id) - 1})
    assert response.status_code == 409 and "Someone acted on this first" in response.get_data(as_text=True)
    assert state(web, d) == "awaiting_signature"


def test_the_awardee_list_as_xlsx(web, client_as):
    for username, title in (("canbo.tccs", FIRST), ("canbo.cb", REVOKING), ("chutich.tb", TO_SIGN)):
        response = client_as(username, lang="en").get(f"/decisions/{decision(web, title).id}/awardees.xlsx")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        assert [c.value for c in sheet[1]] == ["#", "Nominee", "Position", "Unit", "Award"]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert rows and [r[0] for r in rows] == list(range(1, len(rows) + 1))
        if title == FIRST:
            assert len(rows) == 8 and rows[0][4] == "Advanced Worker" and rows[0][3] == "Phòng Tổ chức cơ sở đảng - đảng viên"
        if title == REVOKING:  # a revocation lists the awards it revokes
            assert {r[1] for r in rows} == {"Phan Thị Loan", "Lê Văn Quang", "Trần Thị Thủy"}


def test_revocations_name_each_other(web, client_as):
    client = client_as("canbo.cb", lang="en")
    revoked = client.get(f"/decisions/{decision(web, REVOKED).id}").get_data(as_text=True)
    assert "Revoked by" in revoked and "Decision no. 3/QĐ-BTCTU" in revoked
    revoking = client.get(f"/decisions/{decision(web, REVOKING).id}").get_data(as_text=True)
    assert "Revokes" in revoking and "2/QĐ-BTCTU" in revoking and "Awards it revokes" in revoking


def test_drafting_a_revocation(web, client_as):
    client = client_as("thuongtruc.tb", lang="en")
    page = client.get("/decisions").get_data(as_text=True)
    first = decision(web, FIRST)
    assert "Draft a revocation of an issued decision" in page and f'<option value="{first.id}"' in page
    assert f'<option value="{decision(web, REVOKED).id}"' not in page  # revoked already
    refused = client.post("/decisions/revocations", data={"council": first.council_id, "revokes": first.id, "title": ""})
    assert refused.status_code == 400 and "Give the decision a title." in refused.get_data(as_text=True)
    response = client.post("/decisions/revocations", data={"council": first.council_id, "revokes": first.id,
                                                           "title": "Quyết định thu hồi Quyết định số 1/QĐ-BTCTU"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Revocation" in page and "Awards it revokes" in page and "1/QĐ-BTCTU" in page
    assert ">Submit for signature</button>" in page
    # the same decision cannot be revoked twice over
    again = client.post("/decisions/revocations", data={"council": first.council_id, "revokes": first.id,
                                                        "title": "Lần nữa"})
    assert again.status_code == 400 and "exists already" in again.get_data(as_text=True)
    assert client_as("chutich.tb").post("/decisions/revocations", data={
        "council": first.council_id, "revokes": first.id, "title": "x"}).status_code == 403


def _approve_the_fighters(web, client_as) -> list[int]:
    """The chair's written vote, then the session closed and its results recorded (all in the browser)."""
    with _sessions(web) as s:
        sitting = s.scalar(select(CouncilSession.id).where(CouncilSession.title == FIGHTERS))
        agenda = list(s.scalars(select(AgendaItem.nomination_id).where(AgendaItem.session_id == sitting)))
        chair = s.scalar(select(User.id).where(User.username == "chutich.tb"))
    office = client_as("thuongtruc.tb")
    assert office.post(f"/sessions/{sitting}/written/{chair}",
                       data={f"item:{n}": "agree" for n in agenda}).status_code == 302
    assert office.post(f"/sessions/{sitting}/close", data={"confirm": "yes"}).status_code == 302
    assert office.post(f"/sessions/{sitting}/record").status_code == 200
    return agenda


def test_from_the_vote_to_the_award(web, client_as):
    fighters = _approve_the_fighters(web, client_as)
    office = client_as("thuongtruc.tb", lang="en")
    page = office.get("/decisions").get_data(as_text=True)
    assert "Draft a decision" in page and "Phạm Quốc Khánh" in page and "Hoàng Thị Thanh" in page
    with _sessions(web) as s:
        n = s.get(Nomination, fighters[0])
        council, period = n.council_id, n.period_id
    refused = office.post("/decisions", data={"council": council, "period": period, "title": "QĐ"})
    assert refused.status_code == 400 and "Choose at least one approved nomination." in refused.get_data(as_text=True)
    assert client_as("chutich.tb").post("/decisions", data={"council": council, "period": period, "title": "QĐ",
                                                            "nomination": fighters}).status_code == 403
    response = office.post("/decisions", data={"council": council, "period": period, "nomination": fighters,
                                               "title": "Quyết định công nhận danh hiệu Chiến sĩ thi đua năm 2026"})
    assert response.status_code == 302
    decision_id = int(re.search(r"/decisions/(\d+)$", response.headers["Location"]).group(1))
    page = office.get(f"/decisions/{decision_id}").get_data(as_text=True)
    assert "Draft decision" in page and "Phạm Quốc Khánh" in page and "Chuyên viên" in page
    assert "No approved nomination awaits a decision." in office.get("/decisions").get_data(as_text=True)
    assert act(office, web, decision_id, "submit_for_signature").status_code == 302
    assert act(client_as("chutich.tb"), web, decision_id, "sign").status_code == 302
    assert act(client_as("vanthu.tb"), web, decision_id, "issue").status_code == 302
    with _sessions(web) as s:
        issued = s.get(Decision, decision_id)
        assert issued.number == "4/QĐ-BTCTU" and issued.issued_on is not None
        assert [s.get(WorkflowInstance, s.get(Nomination, n).instance_id).state for n in fighters] == ["awarded"] * 2
    nomination = client_as("canbo.tccs", lang="en").get(f"/nominations/{fighters[0]}").get_data(as_text=True)
    assert "Awarded by decision" in nomination
    assert "4/QĐ-BTCTU" in client_as("canbo.tccs", lang="en").get("/decisions").get_data(as_text=True)


def test_the_home_page_links_the_decision_to_sign(web, client_as):
    page = client_as("chutich.tb").get("/").get_data(as_text=True)
    assert f'href="/decisions/{decision(web, TO_SIGN).id}"' in page
