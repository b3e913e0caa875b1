"""Council sessions in the browser: the list, opening a session, attendance, ballots (in person and
in writing), no count while voting is open, closing, the tallies and recording the results."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from workflow.domain.models import AgendaItem, CouncilSession, Nomination, User
from workflow.models import WorkflowInstance

FIGHTERS = "Phiên họp xét danh hiệu Chiến sĩ thi đua năm 2026"  # open: four members voted, the chair not yet
TB_MEMBERS = ["chutich.tb", "uyvien.tb", "uyvien2.tb", "uyvien3.tb", "uyvien4.tb"]


def _sessions(web):
    return web.extensions["laurel"].sessions()


def session_id(web, title=FIGHTERS) -> int:
    with _sessions(web) as s:
        return s.scalar(select(CouncilSession.id).where(CouncilSession.title == title))


def user_id(web, username) -> int:
    with _sessions(web) as s:
        return s.scalar(select(User.id).where(User.username == username))


def agenda(web, sitting) -> list[int]:
    with _sessions(web) as s:
        return list(s.scalars(select(AgendaItem.nomination_id).where(AgendaItem.session_id == sitting)
                              .order_by(AgendaItem.position)))


def state_of(web, nomination_id) -> str:
    with _sessions(web) as s:
        return s.get(WorkflowInstance, s.get(Nomination, nomination_id).instance_id).state


def all_present(web, client_as, sitting):
    response = client_as("thuongtruc.tb").post(f"/sessions/{sitting}/attendance",
                                               data={"present": [user_id(web, u) for u in TB_MEMBERS]})
    assert response.status_code == 302


def answers(web, sitting, choice="agree") -> dict[str, str]:
    return {f"item:{n}": choice for n in agenda(web, sitting)}


@pytest.mark.parametrize("username", ["thuongtruc.tb", "uyvien.tb", "chutich.tb", "vanthu.tb",
                                      "thuongtruc.tw", "uyvien.tw", "chutich.tw", "vanthu.tw"])
def test_the_list_is_for_council_roles(client_as, username):
    assert client_as(username).get("/sessions").status_code == 200


@pytest.mark.parametrize("username", ["canbo.tccs", "truongphong.tccs", "cumtruong.nb", "canbo.tb"])
def test_the_list_is_refused_to_others(client_as, username):
    assert client_as(username).get("/sessions").status_code == 403


@pytest.mark.parametrize("username", ["thuongtruc.tb", "uyvien.tb", "chutich.tb", "vanthu.tb"])
def test_a_session_page_renders_for_each_role_of_its_council(web, client_as, username):
    page = client_as(username, lang="en").get(f"/sessions/{session_id(web)}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Phạm Quốc Khánh" in text and "secret ballot" in text and "Voting open" in text


@pytest.mark.parametrize("username", ["canbo.tccs", "thuongtruc.tw", "uyvien.tw"])
def test_a_session_of_another_council_is_not_found(web, client_as, username):
    assert client_as(username).get(f"/sessions/{session_id(web)}").status_code == 404
    assert client_as(username).post(f"/sessions/{session_id(web)}/close", data={"confirm": "yes"}).status_code == 404


def test_the_list_shows_sessions_and_whose_ballot_awaits(web, client_as):
    page = client_as("chutich.tb", lang="en").get("/sessions").get_data(as_text=True)
    assert FIGHTERS in page and "awaiting your vote" in page
    assert "Open a session" not in page  # the chair does not organise sessions
    page = client_as("uyvien.tb", lang="en").get("/sessions").get_data(as_text=True)
    assert "awaiting your vote" not in page and "received" in page


def test_the_open_secret_ballot_shows_no_count_and_no_vote(web, client_as):
    sitting = session_id(web)
    for username in ("uyvien.tb", "thuongtruc.tb", "chutich.tb"):
        page = client_as(username, lang="en").get(f"/sessions/{sitting}").get_data(as_text=True)
        assert "Results" not in page and 'class="tallies"' not in page and "Passed" not in page
        assert "Disagree" not in page or username == "chutich.tb"  # only a ballot still to cast offers choices
    page = client_as("uyvien.tb", lang="en").get(f"/sessions/{sitting}").get_data(as_text=True)
    assert "Your ballot has been received" in page and 'type="radio"' not in page
    # there is no running tally to record from either
    assert client_as("thuongtruc.tb").post(f"/sessions/{sitting}/record").status_code == 400


def test_an_absent_member_cannot_vote_in_person(web, client_as):
    sitting = session_id(web)
    client = client_as("chutich.tb", lang="en")
    assert "You are not recorded as present" in client.get(f"/sessions/{sitting}").get_data(as_text=True)
    response = client.post(f"/sessions/{sitting}/ballot", data=answers(web, sitting))
    assert response.status_code == 400 and "votes in writing" in response.get_data(as_text=True)


def test_the_chair_casts_a_ballot_once(web, client_as):
    sitting = session_id(web)
    all_present(web, client_as, sitting)
    client = client_as("chutich.tb", lang="en")
    page = client.get(f"/sessions/{sitting}").get_data(as_text=True)
    assert page.count('type="radio"') == 6 and "Cast my ballot" in page
    response = client.post(f"/sessions/{sitting}/ballot", data=answers(web, sitting))
    assert response.status_code == 302
    page = client.get(f"/sessions/{sitting}").get_data(as_text=True)
    assert "Your ballot has been received" in page and 'type="radio"' not in page
    again = client.post(f"/sessions/{sitting}/ballot", data=answers(web, sitting, "disagree"))
    assert again.status_code == 400 and "This member has already voted in the session" in again.get_data(as_text=True)


def test_a_ballot_must_answer_every_item(web, client_as):
    sitting = session_id(web)
    all_present(web, client_as, sitting)
    first = agenda(web, sitting)[0]
    response = client_as("chutich.tb", lang="en").post(f"/sessions/{sitting}/ballot", data={f"item:{first}": "agree"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'aria-invalid="true"' in page and "Choose agree, disagree or abstain." in page


def test_only_members_vote_and_only_the_office_records_attendance(web, client_as):
    sitting = session_id(web)
    assert client_as("vanthu.tb").post(f"/sessions/{sitting}/ballot", data=answers(web, sitting)).status_code == 403
    assert client_as("uyvien.tb").post(f"/sessions/{sitting}/attendance", data={"present": []}).status_code == 403
    # a member who voted in person stays present
    response = client_as("thuongtruc.tb", lang="en").post(f"/sessions/{sitting}/attendance", data={"present": []})
    assert response.status_code == 400 and "stays present" in response.get_data(as_text=True)


def test_the_office_records_an_absent_members_written_vote(web, client_as):
    sitting, chair = session_id(web), user_id(web, "chutich.tb")
    assert client_as("uyvien.tb").get(f"/sessions/{sitting}/written/{chair}").status_code == 403
    client = client_as("thuongtruc.tb", lang="en")
    page = client.get(f"/sessions/{sitting}").get_data(as_text=True)
    assert "Enter the written ballot of Phạm Văn Tuân" in page
    form = client.get(f"/sessions/{sitting}/written/{chair}")
    assert form.status_code == 200 and "Written vote of Phạm Văn Tuân" in form.get_data(as_text=True)
    assert client.post(f"/sessions/{sitting}/written/{chair}", data=answers(web, sitting)).status_code == 302
    page = client.get(f"/sessions/{sitting}").get_data(as_text=True)
    assert "written vote received" in page and "Enter the written ballot" not in page
    assert "Your ballot has been received" in client_as("chutich.tb", lang="en").get(
        f"/sessions/{sitting}").get_data(as_text=True)


def close(client, sitting):
    return client.post(f"/sessions/{sitting}/close", data={"confirm": "yes"})


def test_closing_needs_the_office_or_the_chair_and_a_confirmation(web, client_as):
    sitting = session_id(web)
    assert close(client_as("uyvien.tb"), sitting).status_code == 403
    assert close(client_as("vanthu.tb"), sitting).status_code == 403
    response = client_as("chutich.tb", lang="en").post(f"/sessions/{sitting}/close", data={})
    assert response.status_code == 400 and "Tick the box" in response.get_data(as_text=True)
    assert close(client_as("chutich.tb"), sitting).status_code == 302
    assert close(client_as("chutich.tb"), sitting).status_code == 400  # closed already


def test_closing_shows_the_tallies_and_the_minutes(web, client_as):
    sitting, chair = session_id(web), user_id(web, "chutich.tb")
    client = client_as("thuongtruc.tb", lang="en")
    client.post(f"/sessions/{sitting}/written/{chair}", data=answers(web, sitting))
    assert close(client, sitting).status_code == 302
    page = client.get(f"/sessions/{sitting}").get_data(as_text=True)
    assert "Results" in page and "Closed" in page and "Cast my ballot" not in page
    assert "Members present" in page and "Quorum" in page and "met" in page
    # five of five agree: the secret-ballot fighter (90% of all members) and the open one both pass
    assert page.count("✔ Passed") == 2 and '<td class="num">5</td>' in page and "90%" in page and "70%" in page
    assert "Record the results on all 2 nominations" in page
    member = client_as("uyvien.tb", lang="en").get(f"/sessions/{sitting}").get_data(as_text=True)
    assert "✔ Passed" in member and "Record the results" not in member


def test_recording_the_results_in_bulk(web, client_as):
    sitting = session_id(web)
    client = client_as("thuongtruc.tb", lang="en")
    close(client, sitting)  # four of five agree: the open ballot passes, the secret one (90% of all) does not
    assert client_as("uyvien.tb").post(f"/sessions/{sitting}/record").status_code == 403
    response = client.post(f"/sessions/{sitting}/record")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "What happened to each nominee" in page
    assert page.count("✔") == 2 and "Approved; awaiting the decision" in page and "Not approved" in page
    khanh, thanh = agenda(web, sitting)
    assert (state_of(web, khanh), state_of(web, thanh)) == ("rejected", "approved")
    assert "Record the results" not in client.get(f"/sessions/{sitting}").get_data(as_text=True)


def test_opening_a_session_with_an_agenda(web, client_as):
    client = client_as("thuongtruc.tw", lang="en")
    page = client.get("/sessions").get_data(as_text=True)
    assert "Open a session" in page and "Ban Tổ chức Tỉnh ủy Thái Bình" in page  # the flag awaiting the vote
    with _sessions(web) as s:
        flag = s.scalar(select(Nomination.id).where(Nomination.award_code == "CO_THI_DUA")
                        .join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)
                        .where(WorkflowInstance.state == "council_vote"))
        period = s.get(Nomination, flag).period_id
        council = s.get(Nomination, flag).council_id
    form = {"council": council, "title": "Phiên họp xét Cờ thi đua năm 2026", "held_on": "2026-12-02",
            "period": period}
    refused = client.post("/sessions", data=form)
    assert refused.status_code == 400 and "Choose at least one nomination" in refused.get_data(as_text=True)
    assert client_as("uyvien.tw").post("/sessions", data={**form, "nomination": flag}).status_code == 403
    response = client.post("/sessions", data={**form, "nomination": flag})
    assert response.status_code == 302
    sitting = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert agenda(web, sitting) == [flag]
    page = client.get(f"/sessions/{sitting}").get_data(as_text=True)
    assert "Phiên họp xét Cờ thi đua năm 2026" in page and "secret ballot" in page and "No quorum" in page
    # on the agenda of a session still voting: not offered for another one
    assert "No nomination awaits this council" in client.get("/sessions").get_data(as_text=True)
    again = client.post("/sessions", data={**form, "nomination": flag})
    assert again.status_code == 400 and "still voting" in again.get_data(as_text=True)


def test_the_home_page_links_the_ballot_to_cast(web, client_as):
    page = client_as("chutich.tb").get("/").get_data(as_text=True)
    assert f'href="/sessions/{session_id(web)}"' in page
