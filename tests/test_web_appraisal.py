"""The standing office's desk: the queue with its working-day clock, public posting and its comments."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import url_for
from sqlalchemy import func, select

from workflow.domain.models import Nomination, Person, PublicComment
from workflow.models import WorkflowInstance

MONDAY = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)  # Monday 30 November 2026, 10:00 in Hà Nội


@pytest.fixture
def monday(monkeypatch):
    """The office works on Monday 30 November (the views' clock, not the computer's)."""
    monkeypatch.setattr("web.appraisal.utcnow", lambda: MONDAY)
    monkeypatch.setattr("web.nominations.utcnow", lambda: MONDAY)
    return MONDAY


def laurel(web):
    return web.extensions["laurel"]


def of(web, person_code) -> int:
    """The open nomination of a demo person (by their code)."""
    with laurel(web).sessions() as s:
        return s.scalar(select(Nomination.id).join(Person, Person.id == Nomination.person_id)
                        .join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)
                        .where(Person.code == person_code,
                               WorkflowInstance.state.in_(("appraisal", "supplement", "council_vote",
                                                           "public_posting"))))


def version(web, nomination_id) -> int:
    with laurel(web).sessions() as s:
        return s.get(WorkflowInstance, s.get(Nomination, nomination_id).instance_id).version


def state_of(web, nomination_id) -> str:
    with laurel(web).sessions() as s:
        return s.get(WorkflowInstance, s.get(Nomination, nomination_id).instance_id).state


def queue_part(page: str) -> str:
    return page[page.index('id="queue"'):page.index('id="posting"')]


# --- who sees it ----------------------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [("thuongtruc.tb", 200), ("thuongtruc.tw", 200), ("canbo.tccs", 403),
                                              ("cumtruong.nb", 403), ("chutich.tb", 403), ("uyvien.tw", 403)])
def test_the_desk_is_the_standing_offices(client_as, username, status):
    assert client_as(username).get("/appraisal").status_code == status


def test_each_office_sees_its_own_councils(web, client_as, monday):
    tb = client_as("thuongtruc.tb", lang="en").get("/appraisal").get_data(as_text=True)
    tw = client_as("thuongtruc.tw", lang="en").get("/appraisal").get_data(as_text=True)
    assert "Lương Thị Hạnh" in tb and "Lê Thị Hồng" not in tb
    assert "Lê Thị Hồng" in tw and "Lương Thị Hạnh" not in tw


# --- the queue and its clock ------------------------------------------------------------------------

def test_the_queue_puts_overdue_first_with_the_working_day_clock(web, client_as, monday):
    page = client_as("thuongtruc.tb", lang="en").get("/appraisal").get_data(as_text=True)
    queue = queue_part(page)
    names = ["Lương Thị Hạnh", "Phạm Quốc Khánh", "Hoàng Thị Thanh"]
    assert [queue.index(n) for n in names] == sorted(queue.index(n) for n in names)
    hanh = queue[queue.index("Lương Thị Hạnh"):queue.index("Phạm Quốc Khánh")]
    assert 'class="overdue"' in queue[:queue.index("Lương Thị Hạnh")].rsplit("<tr", 1)[-1]
    assert "13 Nov 2026" in hanh and "end of 27 Nov 2026" in hanh        # entered on, deadline
    assert "overdue" in hanh and "1 working day late" in hanh             # Friday's deadline, on Monday
    assert "Request supplements · Declare ineligible · Appraisal passed" in hanh
    assert "Awaiting the council&#39;s vote" in queue and "Record the vote" in queue
    assert "Trịnh Đức Anh" not in queue  # with the unit, for supplements
    counts = page[page.index('class="counts"'):page.index('id="queue"')]
    assert "<strong>3</strong><span>awaiting the office" in counts and "<strong>1</strong><span>overdue" in counts


def test_supplements_are_listed_with_their_clock(web, client_as, monday):
    page = client_as("thuongtruc.tb", lang="en").get("/appraisal").get_data(as_text=True)
    part = page[page.index('id="supplements"'):]
    assert "Trịnh Đức Anh" in part and "end of 4 Dec 2026" in part and "4 working days left" in part


def test_a_resubmitted_dossier_joins_the_queue_by_its_deadline(web, client_as, monday):
    anh = of(web, "tb-anh")
    response = client_as("canbo.tccs").post(f"/nominations/{anh}/act", data={"trigger": "resubmit",
                                                                              "version": version(web, anh)})
    assert response.status_code == 302 and state_of(web, anh) == "appraisal"
    queue = queue_part(client_as("thuongtruc.tb", lang="en").get("/appraisal").get_data(as_text=True))
    order = [queue.index(n) for n in ("Lương Thị Hạnh", "Trịnh Đức Anh", "Phạm Quốc Khánh", "Hoàng Thị Thanh")]
    assert order == sorted(order)  # overdue, then by deadline, then those without one
    anh_row = queue[queue.index("Trịnh Đức Anh"):queue.index("Phạm Quốc Khánh")]
    assert "30 Nov 2026" in anh_row and "end of 14 Dec 2026" in anh_row and "10 working days left" in anh_row


def test_the_queue_filters_by_step(web, client_as, monday):
    client = client_as("thuongtruc.tb", lang="en")
    page = client.get("/appraisal?step=council_vote").get_data(as_text=True)
    queue = queue_part(page)
    rows = queue[queue.index("<tbody>"):]
    assert "Phạm Quốc Khánh" in rows and "Hoàng Thị Thanh" in rows and "Lương Thị Hạnh" not in rows
    assert 'href="/appraisal?step=appraisal#queue"' in queue and 'aria-current="page">Awaiting the council' in queue
    assert "Lương Thị Hạnh" in queue_part(client.get("/appraisal?step=nonsense").get_data(as_text=True))


def test_the_office_can_act_from_the_queue(web, client_as, monday):
    hanh = of(web, "tb-hanh")
    client = client_as("thuongtruc.tb", lang="en")
    queue = queue_part(client.get("/appraisal").get_data(as_text=True))
    assert f'action="/nominations/{hanh}/act"' in queue and ">Request supplements</button>" in queue
    assert f'href="/nominations/{hanh}#documents"' in queue
    response = client.post(f"/nominations/{hanh}/act", data={
        "trigger": "request_supplement", "version": version(web, hanh), "comment": "Thiếu biên bản"})
    assert response.status_code == 302 and state_of(web, hanh) == "supplement"
    page = client.get("/appraisal").get_data(as_text=True)
    assert "Lương Thị Hạnh" not in queue_part(page) and "Lương Thị Hạnh" in page[page.index('id="supplements"'):]


def test_the_council_sessions_are_linked_when_that_page_exists(web, client_as):
    page = client_as("thuongtruc.tb", lang="en").get("/appraisal").get_data(as_text=True)
    if "council.index" in web.view_functions:
        with web.test_request_context():
            assert f'href="{url_for("council.index")}"' in page
    else:
        assert "Council sessions: build an agenda" not in page


# --- public posting --------------------------------------------------------------------------------

def test_the_posting_shows_its_end_comments_and_why_it_cannot_close_yet(web, client_as, monday):
    page = client_as("thuongtruc.tw", lang="en").get("/appraisal").get_data(as_text=True)
    part = page[page.index('id="posting"'):page.index('id="supplements"')]
    hong = of(web, "tb-hong")
    assert f'id="posting-{hong}"' in part and "Posted on 26 Nov 2026" in part and "ends 1 Dec 2026, 09:00" in part
    assert "1 working day left" in part and "Một cán bộ Văn phòng" in part
    assert "disabled>End the public posting" in part and "The public posting runs until 01/12/2026" in part


def test_closing_a_posting_too_early_shows_the_guards_reason(web, client_as, monday):
    hong = of(web, "tb-hong")
    response = client_as("thuongtruc.tw", lang="en").post(f"/nominations/{hong}/act", data={
        "trigger": "end_posting", "version": version(web, hong)})
    assert response.status_code == 400
    assert "The public posting runs until 01/12/2026" in response.get_data(as_text=True)
    assert state_of(web, hong) == "public_posting"


def test_the_posting_closes_once_its_period_is_over(web, client_as, monkeypatch):
    monkeypatch.setattr("web.nominations.utcnow", lambda: datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc))
    hong = of(web, "tb-hong")
    response = client_as("thuongtruc.tw").post(f"/nominations/{hong}/act", data={
        "trigger": "end_posting", "version": version(web, hong)})
    assert response.status_code == 302 and state_of(web, hong) == "council_vote"


def comments(web, nomination_id) -> int:
    with laurel(web).sessions() as s:
        return s.scalar(select(func.count()).select_from(PublicComment)
                        .where(PublicComment.nomination_id == nomination_id))


def test_recording_a_comment_received(web, client_as, monday):
    hong = of(web, "tb-hong")
    client = client_as("thuongtruc.tw", lang="en")
    response = client.post(f"/appraisal/posting/{hong}/comments", data={
        "author": "", "text": "Đề nghị làm rõ thành tích năm 2026", "received_on": "2026-11-29"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/appraisal#posting-{hong}")
    assert comments(web, hong) == 2
    page = client.get("/appraisal").get_data(as_text=True)
    assert "Đề nghị làm rõ thành tích năm 2026" in page and "Anonymous, 29 Nov 2026" in page
    assert "The comment has been recorded for Lê Thị Hồng." in page
    assert "Đề nghị làm rõ thành tích năm 2026" in client.get(f"/nominations/{hong}").get_data(as_text=True)


@pytest.mark.parametrize("data, message, field", [
    ({"text": "  ", "received_on": "2026-11-29"}, "The comment&#39;s text is needed", "text"),
    ({"text": "Ý kiến", "received_on": "2026-12-24"}, "The day received cannot be after today", "received"),
    ({"text": "Ý kiến", "received_on": "2026-11-20"}, "cannot be before the posting began (26/11/2026)", "received"),
    ({"text": "Ý kiến", "received_on": "hôm qua"}, "Enter the day the comment was received.", "received"),
])
def test_a_comment_with_errors_comes_back_at_the_field(web, client_as, monday, data, message, field):
    hong = of(web, "tb-hong")
    response = client_as("thuongtruc.tw", lang="en").post(f"/appraisal/posting/{hong}/comments", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    at = page.index(f'id="{field}-{hong}"')
    assert 'aria-invalid="true"' in page[at:page.index("</label>", at)]
    assert "Ý kiến" in page or data["text"].strip() == ""  # what was typed is kept
    assert comments(web, hong) == 1


def test_only_the_councils_office_records_comments(web, client_as, monday):
    hong = of(web, "tb-hong")
    data = {"text": "Ý kiến", "received_on": "2026-11-29"}
    assert client_as("thuongtruc.tb").post(f"/appraisal/posting/{hong}/comments", data=data).status_code == 404
    assert client_as("uyvien.tw").post(f"/appraisal/posting/{hong}/comments", data=data).status_code == 403
    khanh = of(web, "tb-khanh")  # Thái Bình's office, a nomination that is not posted
    response = client_as("thuongtruc.tb", lang="en").post(f"/appraisal/posting/{khanh}/comments", data=data)
    assert response.status_code == 400 and "not posted for comments now" in response.get_data(as_text=True)
    assert comments(web, hong) == 1
