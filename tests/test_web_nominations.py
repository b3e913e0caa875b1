"""The unit's side in the browser: submissions, nominees, documents, actions, timeline, list."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from workflow.domain.models import Nomination, Person
from workflow.models import WorkflowInstance

PDF = b"%PDF-1.4\n% test\n%%EOF\n"


def ids_in_state(web, state):
    state_ = web.extensions["laurel"]
    with state_.sessions() as s:
        return [n.id for n, in s.execute(select(Nomination).join(WorkflowInstance, WorkflowInstance.id ==
                                                                 Nomination.instance_id)
                                          .where(WorkflowInstance.state == state).order_by(Nomination.id))]


def test_signing_in_leads_to_my_tasks(client_as):
    page = client_as("canbo.tccs", lang="en").get("/").get_data(as_text=True)
    assert "My tasks" in page and "Đinh Thị Ngọc" in page and "Send to the unit head" in page


def test_the_home_page_counts_and_marks_overdue(client_as):
    page = client_as("truongphong.tccs").get("/").get_data(as_text=True)
    assert "Việc của tôi" in page and "quá hạn" in page


def test_a_draft_shows_what_is_missing_before_submitting(web, client_as):
    draft = ids_in_state(web, "draft")[0]
    page = client_as("canbo.tccs", lang="en").get(f"/nominations/{draft}").get_data(as_text=True)
    assert "Missing achievement report" in page and 'disabled>Send to the unit head' in page


def test_uploading_the_missing_document_then_submitting(web, client_as):
    draft = ids_in_state(web, "draft")[0]
    client = client_as("canbo.tccs", lang="en")
    response = client.post(f"/nominations/{draft}/documents",
                           data={"doc:achievement_report": (io.BytesIO(PDF), "bao-cao.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(f"/nominations/{draft}").get_data(as_text=True)
    assert "bao-cao.pdf" in page and "Missing achievement report" not in page
    version = _version(web, draft)
    response = client.post(f"/nominations/{draft}/act", data={"trigger": "submit", "version": version})
    assert response.status_code == 302
    assert draft in ids_in_state(web, "unit_review")
    timeline = client.get(f"/nominations/{draft}").get_data(as_text=True)
    assert "Send to the unit head → Awaiting the unit head" in timeline


def _version(web, nomination_id):
    with web.extensions["laurel"].sessions() as s:
        return s.get(WorkflowInstance, s.get(Nomination, nomination_id).instance_id).version


def test_a_wrong_file_type_is_refused_at_the_field(web, client_as):
    draft = ids_in_state(web, "draft")[0]
    client = client_as("canbo.tccs", lang="en")
    client.post(f"/nominations/{draft}/documents", data={"doc:achievement_report": (io.BytesIO(b"MZ\x90exe"), "x.pdf")},
                content_type="multipart/form-data")
    assert "must be a PDF, DOCX, ODT file" in client.get(f"/nominations/{draft}").get_data(as_text=True)


def test_a_required_comment_comes_back_at_the_field(web, client_as):
    waiting = ids_in_state(web, "unit_review")[0]
    client = client_as("truongphong.tccs", lang="en")
    response = client.post(f"/nominations/{waiting}/act",
                           data={"trigger": "return_for_revision", "version": _version(web, waiting), "comment": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "A comment is required" in page


def test_a_stale_form_is_a_conflict_with_a_reload_link(web, client_as):
    waiting = ids_in_state(web, "unit_review")[0]
    client = client_as("truongphong.tccs", lang="en")
    response = client.post(f"/nominations/{waiting}/act",
                           data={"trigger": "approve_unit", "version": _version(web, waiting) - 1})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone acted on this first" in page and "Reload" in page and "Traceback" not in page


def test_a_nomination_outside_ones_scope_is_not_found(web, client_as):
    other = ids_in_state(web, "cluster_review")[0]  # Ninh Bình's flag
    assert client_as("canbo.tccs").get(f"/nominations/{other}").status_code == 404


def test_the_list_filters_pages_and_exports(web, client_as):
    client = client_as("thuongtruc.tb", lang="en")
    page = client.get("/nominations?state=awarded").get_data(as_text=True)
    assert "8 nominations" in page
    response = client.get("/nominations?state=awarded&format=xlsx")
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 9 and sheet["B1"].value == "Nominee"
    assert "No nomination matches." in client.get("/nominations?q=zzzz").get_data(as_text=True)
    assert "Phạm Quốc Khánh" in client.get("/nominations?q=pham quoc").get_data(as_text=True)


def test_a_new_submission_with_a_nominee(web, client_as):
    client = client_as("canbo.tccs", lang="en")
    response = client.post("/submissions", data={"unit": _body(web, "tb-tccs"), "period": "2026", "awards": ["GK_CN"],
                                                 "title": "Tờ trình bổ sung"})
    assert response.status_code == 302
    submission = response.headers["Location"].rsplit("/", 1)[-1]
    with web.extensions["laurel"].sessions() as s:
        person = s.scalar(select(Person).where(Person.code == "tb-son")).id
    response = client.post(f"/submissions/{submission}/nominees", data={"award": "GK_CN", "subject": f"p:{person}"})
    assert response.status_code == 302
    page = client.get(f"/submissions/{submission}").get_data(as_text=True)
    assert "Ngô Văn Sơn" in page and "Missing submission letter" in page
    response = client.post(f"/submissions/{submission}/documents", content_type="multipart/form-data",
                           data={"doc:submission_letter": (io.BytesIO(PDF), "to-trinh.pdf")})
    assert response.status_code == 302 and response.headers["Location"].endswith("#documents")
    page = client.get(f"/submissions/{submission}").get_data(as_text=True)
    assert "to-trinh.pdf" in page and "Missing submission letter" not in page
    client.post(f"/submissions/{submission}/documents", data={}, content_type="multipart/form-data")
    assert "Choose a file" in client.get(f"/submissions/{submission}").get_data(as_text=True)


def _body(web, code):
    from workflow.domain.models import Body
    with web.extensions["laurel"].sessions() as s:
        return s.scalar(select(Body).where(Body.code == code)).id


def test_submitting_a_whole_submission_reports_each_item(web, client_as):
    with web.extensions["laurel"].sessions() as s:
        n = s.get(Nomination, ids_in_state(web, "draft")[0])
        submission = n.submission_id
    page = client_as("canbo.tccs", lang="en").post(f"/submissions/{submission}/submit").get_data(as_text=True)
    assert "What happened to each nominee" in page and "Missing achievement report" in page


def test_a_bad_new_submission_comes_back_with_the_messages_at_the_fields(client_as):
    client = client_as("canbo.tccs", lang="en")
    response = client.post("/submissions", data={"unit": "999", "period": "1999", "title": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Choose one of your units.", "Choose a period open for submissions.",
                    "Choose at least one award.", "Give the submission a title."):
        assert message in page
    assert page.count('aria-invalid="true"') >= 3


def test_the_working_lists_export_as_xlsx(client_as):
    for username, url, header in (("thuongtruc.tb", "/decisions?format=xlsx", "Số"),
                                  ("thuongtruc.tw", "/appraisal?format=xlsx", "Người/tập thể được đề nghị"),
                                  ("canbo.tccs", "/submissions?format=xlsx", "Tiêu đề")):
        response = client_as(username).get(url)
        assert response.status_code == 200, url
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        assert header in [c.value for c in sheet[1]] and sheet.max_row >= 2, url


def test_a_deputy_acts_for_the_head_and_the_timeline_names_both(web, client_as):
    """uyvien2.tb stands in for the Personnel Department's head (uyvien4.tb) in the demo: the
    form offers the action on his behalf, and the timeline shows who acted for whom."""
    from workflow.domain.models import Body
    with web.extensions["laurel"].sessions() as s:
        personnel = s.scalar(select(Body.id).where(Body.code == "tb-cb"))
        waiting = [n for n in ids_in_state(web, "unit_review") if s.get(Nomination, n).proposer_body_id == personnel]
    assert waiting, "the demo has a Personnel Department nomination awaiting its head"
    client = client_as("uyvien2.tb", lang="en")
    assert "Vũ Văn Minh" in client.get("/").get_data(as_text=True)  # among her tasks
    page = client.get(f"/nominations/{waiting[0]}").get_data(as_text=True)
    assert "On behalf of Nguyễn Đức Thịnh (delegation)" in page
    principal = page.split('name="acting_for" value="', 1)[1].split('"', 1)[0]
    response = client.post(f"/nominations/{waiting[0]}/act", data={
        "trigger": "return_for_revision", "version": _version(web, waiting[0]), "acting_for": principal,
        "comment": "Bổ sung số liệu năm 2026"})
    assert response.status_code == 302
    timeline = client.get(f"/nominations/{waiting[0]}").get_data(as_text=True)
    assert "Nguyễn Thị Thu Hà (on behalf of Nguyễn Đức Thịnh)" in timeline
    assert "<blockquote>Bổ sung số liệu năm 2026</blockquote>" in timeline
