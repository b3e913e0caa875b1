"""The cluster's pages: members, covenant, the review queue (one by one and in bulk), scoring,
the acclaim vote and the result — over the demo's Cluster No. 2 in 2026."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from world import NOW, PDF as WORLD_PDF
from workflow.domain import nominations as nom
from workflow.domain.dossier import attach
from workflow.domain.models import (AcclaimVote, Attachment, Blob, Body, Cluster, ClusterResult, ClusterScore,
                                    Covenant, Nomination, Period, RoleAssignment, User)
from workflow.models import WorkflowInstance
from workflow.workdays import utcnow

PDF = b"%PDF-1.4\n% bien ban hop cum\n%%EOF\n"
CRITERIA = ("political_tasks", "organisation", "emulation", "coordination")


def laurel(web):
    return web.extensions["laurel"]


def cluster_id(web) -> int:
    with laurel(web).sessions() as s:
        return s.scalar(select(Cluster.id).where(Cluster.code == "cum-2"))


def body(web, code) -> int:
    with laurel(web).sessions() as s:
        return s.scalar(select(Body.id).where(Body.code == code))


def state_of(web, nomination_id) -> str:
    with laurel(web).sessions() as s:
        return s.get(WorkflowInstance, s.get(Nomination, nomination_id).instance_id).state


def in_state(web, state) -> list[int]:
    with laurel(web).sessions() as s:
        return list(s.scalars(select(Nomination.id)
                              .join(WorkflowInstance, WorkflowInstance.id == Nomination.instance_id)
                              .where(WorkflowInstance.state == state).order_by(Nomination.id)))


def page_url(web, period="2026") -> str:
    return f"/clusters/{cluster_id(web)}/{period}"


def second_flag(web) -> int:
    """Hà Tĩnh's flag, also waiting in the cluster's review (Ninh Bình's officer helps Hà Tĩnh)."""
    state = laurel(web)
    now = utcnow()
    with state.write_sessions.begin() as s:
        ht = s.scalar(select(Body).where(Body.code == "btc-ht"))
        officer = s.scalar(select(User).where(User.username == "canbo.nb"))
        head = s.scalar(select(User).where(User.username == "thanhvien.ht"))
        s.add(RoleAssignment(user_id=officer.id, role="unit_officer", scope_kind="body", scope_id=ht.id))
        s.flush()
        period = s.scalar(select(Period).where(Period.code == "2026"))
        sub = nom.create_submission(s, state.catalogue, officer, body_id=ht.id, period=period,
                                    award_codes=["CO_THI_DUA"], title="Tờ trình đề nghị tặng Cờ thi đua (Hà Tĩnh)",
                                    reference=None, now=now)
        documents = state.engine.documents
        for kind in ("submission_letter", "cluster_minutes"):
            attach(s, documents, kind=kind, data=PDF + kind.encode(), filename=f"{kind}.pdf", user_id=officer.id,
                   now=now, submission_id=sub.id)
        n = nom.add_nomination(s, state.engine, state.catalogue, officer, sub, award_code="CO_THI_DUA",
                               nominee_body_id=ht.id, now=now)
        attach(s, documents, kind="achievement_report", data=PDF + b"report", filename="bao-cao.pdf",
               user_id=officer.id, now=now, nomination_id=n.id)
        nom.act(s, state.engine, officer, n, "submit", now=now)
        nom.act(s, state.engine, head, n, "approve_unit", now=now)
        return n.id


# --- who sees what ---------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["cumtruong.nb", "cumpho.ls", "thanhvien.ht", "chutich.tb", "canbo.tb",
                                      "canbo.nb"])
def test_the_index_lists_the_cluster_to_its_members(web, client_as, username):
    page = client_as(username, lang="en").get("/clusters").get_data(as_text=True)
    assert "Cụm thi đua số 2" in page and f'href="{page_url(web)}"' in page and "Năm 2026" in page


@pytest.mark.parametrize("username", ["canbo.tccs", "thuongtruc.tb", "uyvien.tw"])
def test_the_index_is_forbidden_outside_the_clusters(client_as, username):
    assert client_as(username).get("/clusters").status_code == 403


@pytest.mark.parametrize("username, status", [
    ("cumtruong.nb", 200), ("cumpho.ls", 200), ("thanhvien.ht", 200), ("canbo.tb", 200), ("canbo.nb", 200),
    ("thuongtruc.tw", 200),                     # the standing office of the cluster's council
    ("canbo.tccs", 404), ("thuongtruc.tb", 404), ("uyvien.tw", 404)])
def test_the_clusters_page_by_role(web, client_as, username, status):
    assert client_as(username).get(page_url(web)).status_code == status


def test_an_unknown_cluster_or_period_is_not_found(web, client_as):
    client = client_as("cumtruong.nb")
    assert client.get("/clusters/999/2026").status_code == 404
    assert client.get(f"/clusters/{cluster_id(web)}/1999").status_code == 404


def test_the_page_shows_members_leaders_covenant_and_result(web, client_as):
    page = client_as("canbo.tb", lang="en").get(page_url(web)).get_data(as_text=True)
    for text in ("Ban Tổ chức Tỉnh ủy Hà Tĩnh", "Cluster head", "Deputy", "Assigned political tasks",
                 "scores from 0 to 10", "leading units: 1", "Leading unit(s):", "95.00",
                 "Recorded as the data of the conference"):
        assert text in page, text
    assert "The count now" not in page  # only the head sees the count before recording
    assert "Review of the members" in page and "The cluster head or deputy acts on this nomination." in page


# --- the review queue ---------------------------------------------------------------------------

def test_the_head_sees_the_queue_with_the_engines_options(web, client_as):
    flag = in_state(web, "cluster_review")[0]  # Ninh Bình's flag
    page = client_as("cumtruong.nb", lang="en").get(page_url(web)).get_data(as_text=True)
    assert f'href="/nominations/{flag}"' in page and f'action="/nominations/{flag}/act"' in page
    assert "disabled>Forward to the standing office" in page and "The unit was not acclaimed by its cluster" in page
    assert ">Return for revision</button>" in page and 'id="bulk-review"' in page
    assert 'form="bulk-review"' in page and "Cluster meeting minutes" in page


def test_one_by_one_returning_uses_the_nominations_action(web, client_as):
    flag = in_state(web, "cluster_review")[0]
    with laurel(web).sessions() as s:
        version = s.get(WorkflowInstance, s.get(Nomination, flag).instance_id).version
    response = client_as("cumpho.ls", lang="en").post(f"/nominations/{flag}/act", data={
        "trigger": "return_for_revision", "version": version, "comment": "Bổ sung biên bản họp cụm"})
    assert response.status_code == 302 and state_of(web, flag) == "draft"


def test_a_bulk_return_reports_each_nomination(web, client_as):
    flags = [in_state(web, "cluster_review")[0], second_flag(web)]
    client = client_as("cumtruong.nb", lang="en")
    page = client.get(page_url(web)).get_data(as_text=True)
    assert all(f'name="nomination" value="{n}"' in page for n in flags)
    response = client.post(page_url(web) + "/review", data={
        "nomination": [str(n) for n in flags], "trigger": "return_for_revision",
        "comment": "Đề nghị các đơn vị hoàn thiện hồ sơ"})
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    assert "What happened to each nomination" in result and "2 of 2 done" in result
    assert result.count("Moved to “Draft”") == 2 and "Ban Tổ chức Tỉnh ủy Hà Tĩnh" in result
    assert [state_of(web, n) for n in flags] == ["draft", "draft"]


def test_a_bulk_return_needs_a_comment_at_the_field(web, client_as):
    flag = in_state(web, "cluster_review")[0]
    response = client_as("cumtruong.nb", lang="en").post(page_url(web) + "/review", data={
        "nomination": str(flag), "trigger": "return_for_revision", "comment": "  "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'name="comment" rows="2" aria-invalid="true"' in page and "This action needs a comment" in page
    assert f'value="{flag}" form="bulk-review" id="pick-{flag}"' in page and "checked" in page
    assert state_of(web, flag) == "cluster_review"


def test_a_bulk_forward_needs_the_minutes_and_keeps_them_only_where_it_passes(web, client_as):
    flag = in_state(web, "cluster_review")[0]
    client = client_as("cumtruong.nb", lang="en")
    response = client.post(page_url(web) + "/review", data={"nomination": str(flag), "trigger": "forward"})
    assert response.status_code == 400
    assert "Choose the file: Cluster meeting minutes." in response.get_data(as_text=True)
    response = client.post(page_url(web) + "/review", content_type="multipart/form-data", data={
        "nomination": str(flag), "trigger": "forward", "doc:cluster_minutes": (io.BytesIO(PDF), "bien-ban.pdf")})
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    assert "0 of 1 done" in result and "The unit was not acclaimed by its cluster" in result
    with laurel(web).sessions() as s:  # refused: the minutes were not kept on the nomination
        assert s.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.nomination_id == flag, Attachment.filename == "bien-ban.pdf")) == 0
    assert state_of(web, flag) == "cluster_review"


def test_a_bulk_action_only_touches_the_queue(web, client_as):
    elsewhere = in_state(web, "council_vote")[0]
    client = client_as("cumtruong.nb", lang="en")
    response = client.post(page_url(web) + "/review", data={"nomination": str(elsewhere),
                                                           "trigger": "return_for_revision", "comment": "x"})
    assert response.status_code == 400 and "Select at least one nomination." in response.get_data(as_text=True)
    assert client.post(page_url(web) + "/review", data={"nomination": str(in_state(web, "cluster_review")[0]),
                                                       "trigger": "award"}).status_code == 403
    member = client_as("thanhvien.ht")  # a member: no cluster action offered
    response = member.post(page_url(web) + "/review", data={"nomination": str(in_state(web, "cluster_review")[0]),
                                                           "trigger": "return_for_revision", "comment": "x"})
    assert response.status_code == 403


def test_bulk_act_attaches_one_file_to_each_item_it_moves(desk):
    """The domain service under the bulk form: the file is stored once, kept where the action passed."""
    w = desk.world
    with desk.sessions.begin() as s:
        s.add(ClusterResult(cluster_id=w["K"], period_id=w["2026"], result={}, acclaimed=[w["P"]], recorded_at=NOW,
                            recorded_by=w["head_p2"]))
        s.add(RoleAssignment(user_id=w["officer_p2"], role="unit_officer", scope_kind="body", scope_id=w["P3"]))
    flags = []
    for unit, officer, head in (("P", "officer_p", "head_p"), ("P3", "officer_p2", "head_p3")):
        n = desk.nominate(desk.submission(unit, ["CO_THI_DUA"], officer), "CO_THI_DUA", officer, unit=unit)
        desk.fire(n, officer, "submit")
        desk.fire(n, head, "approve_unit")
        flags.append(n)
    minutes = WORLD_PDF + b"minutes of the conference"
    with desk.sessions.begin() as s:
        results = nom.bulk_act(s, desk.engine, desk.user(s, "head_p2"), [s.get(Nomination, n) for n in flags],
                               "forward", now=NOW, files={"cluster_minutes": ("bien-ban.pdf", minutes)})
    assert [(r.nomination_id, r.ok) for r in results] == [(flags[0], True), (flags[1], False)]
    assert results[1].en.startswith("The unit was not acclaimed by its cluster")
    assert [desk.state(n) for n in flags] == ["appraisal", "cluster_review"]
    with desk.readers() as s:
        kept = s.scalars(select(Attachment).where(Attachment.kind == "cluster_minutes",
                                                  Attachment.filename == "bien-ban.pdf")).all()
        assert [a.nomination_id for a in kept] == [flags[0]]
        assert s.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == kept[0].sha256)) == 1
    with desk.sessions.begin() as s:  # without files: as before
        results = nom.bulk_act(s, desk.engine, desk.user(s, "head_p2"), [s.get(Nomination, flags[1])], "forward",
                               now=NOW)
    assert results[0].en.startswith("Missing cluster meeting minutes")


# --- scoring --------------------------------------------------------------------------------------

def scores(web, scorer, scored) -> dict[str, float]:
    with laurel(web).sessions() as s:
        return {c.criterion: c.value for c in s.scalars(select(ClusterScore).where(
            ClusterScore.scorer_body_id == body(web, scorer), ClusterScore.scored_body_id == body(web, scored)))}


def test_the_scoring_form_shows_earlier_scores(web, client_as):
    page = client_as("thanhvien.ht", lang="en").get(page_url(web)).get_data(as_text=True)
    tb = body(web, "btc-tb")
    assert f'action="{page_url(web)}/scores/{tb}#score-{tb}"' in page and 'name="score:political_tasks"' in page
    assert 'value="9.5"' in page and "Save the scores for Ban Tổ chức Tỉnh ủy Thái Bình" in page
    assert f'/scores/{body(web, "btc-ht")}"' not in page  # a unit does not score itself


def test_scores_with_errors_come_back_at_the_fields(web, client_as):
    tb = body(web, "btc-tb")
    response = client_as("thanhvien.ht", lang="en").post(f"{page_url(web)}/scores/{tb}", data={
        "score:political_tasks": "abc", "score:organisation": "11", "score:emulation": "7", "score:coordination": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count("Enter a score from 0 to 10.") == 3 and page.count('aria-invalid="true"') == 3
    assert 'value="7"' in page and 'value="abc"' in page
    assert scores(web, "btc-ht", "btc-tb")["emulation"] == 9.5  # nothing saved


def test_scores_are_saved(web, client_as):
    tb = body(web, "btc-tb")
    response = client_as("thanhvien.ht", lang="en").post(f"{page_url(web)}/scores/{tb}", data={
        "score:political_tasks": "8", "score:organisation": "7,5", "score:emulation": "9", "score:coordination": "10"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#score-{tb}")
    assert scores(web, "btc-ht", "btc-tb") == {"political_tasks": 8, "organisation": 7.5, "emulation": 9,
                                               "coordination": 10}


def test_a_unit_cannot_score_itself(web, client_as):
    response = client_as("thanhvien.ht").post(f"{page_url(web)}/scores/{body(web, 'btc-ht')}",
                                              data={f"score:{c}": "10" for c in CRITERIA})
    assert response.status_code == 403


# --- the acclaim vote -----------------------------------------------------------------------------

def votes_of(web, voter) -> list[int]:
    with laurel(web).sessions() as s:
        return list(s.scalars(select(AcclaimVote.candidate_body_id)
                              .where(AcclaimVote.voter_body_id == body(web, voter))))


def test_the_unit_head_votes(web, client_as):
    client = client_as("thanhvien.ht", lang="en")
    page = client.get(page_url(web)).get_data(as_text=True)
    assert f'type="radio" name="candidate" value="{body(web, "btc-tb")}"\n        checked' in page
    assert "Change the vote" in page
    response = client.post(page_url(web) + "/vote", data={"candidate": body(web, "btc-nb")})
    assert response.status_code == 302 and votes_of(web, "btc-ht") == [body(web, "btc-nb")]


def test_a_vote_for_nobody_is_refused_at_the_field(web, client_as):
    response = client_as("thanhvien.ht", lang="en").post(page_url(web) + "/vote", data={})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose 1 to 1 member units" in page and '<fieldset aria-invalid="true">' in page
    assert votes_of(web, "btc-ht") == [body(web, "btc-tb")]


def test_the_officer_sees_the_units_vote_but_does_not_cast_it(web, client_as):
    client = client_as("canbo.tb", lang="en")
    page = client.get(page_url(web)).get_data(as_text=True)
    assert "Your unit proposed: Ban Tổ chức Tỉnh ủy Ninh Bình." in page and 'name="candidate"' not in page
    assert client.post(page_url(web) + "/vote", data={"candidate": body(web, "btc-ls")}).status_code == 403


# --- the covenant and the result ---------------------------------------------------------------------

def test_the_head_records_the_covenant_from_the_template(web, client_as):
    # in 2025 Thái Bình led the cluster, and no covenant was recorded
    client = client_as("chutich.tb", lang="en")
    page = client.get(page_url(web, "2025")).get_data(as_text=True)
    assert "No covenant has been recorded for this period yet." in page and "Scoring opens once" in page
    assert "Record the covenant the members signed" in page
    member = client_as("cumpho.ls", lang="en")  # Lạng Sơn: neither head nor deputy in 2025
    assert "Record the covenant" not in member.get(page_url(web, "2025")).get_data(as_text=True)
    assert member.post(page_url(web, "2025") + "/covenant").status_code == 403
    response = client.post(page_url(web, "2025") + "/covenant")
    assert response.status_code == 302
    with laurel(web).sessions() as s:
        period = s.scalar(select(Period.id).where(Period.code == "2025"))
        covenant = s.get(Covenant, (cluster_id(web), period))
        assert [c["code"] for c in covenant.criteria] == list(CRITERIA) and covenant.scale_max == 10
    assert "Save the scores for" in client.get(page_url(web, "2025")).get_data(as_text=True)


def test_the_head_records_the_result(web, client_as):
    client = client_as("cumtruong.nb", lang="en")
    page = client.get(page_url(web)).get_data(as_text=True)
    assert "The count now" in page and "Record the result again" in page
    assert client_as("cumpho.ls").post(page_url(web) + "/result").status_code == 403  # the deputy does not
    response = client.post(page_url(web) + "/result")
    assert response.status_code == 302 and response.headers["Location"].endswith("#result")
    with laurel(web).sessions() as s:
        period = s.scalar(select(Period.id).where(Period.code == "2026"))
        result = s.get(ClusterResult, (cluster_id(web), period))
        assert result.acclaimed == [body(web, "btc-tb")] and result.recorded_at.date() == utcnow().date()


def test_a_tie_is_decided_by_the_conference(web, client_as):
    tb, nb = body(web, "btc-tb"), body(web, "btc-nb")
    equal = {f"score:{c}": "9.5" for c in CRITERIA}
    for member in ("chutich.tb", "cumpho.ls", "thanhvien.ht"):  # Ninh Bình scores as high as Thái Bình ...
        assert client_as(member).post(f"{page_url(web)}/scores/{nb}", data=equal).status_code == 302
    assert client_as("thanhvien.ht").post(page_url(web) + "/vote", data={"candidate": nb}).status_code == 302
    # ... and has as many votes (Thái Bình: Ninh Bình and Lạng Sơn; Ninh Bình: Thái Bình and Hà Tĩnh)
    head = client_as("cumtruong.nb", lang="en")
    page = head.get(page_url(web)).get_data(as_text=True)
    assert "Tied in votes and score: the conference decides (choose up to 1)." in page
    assert f'name="tie" value="{tb}"' in page and f'name="tie" value="{nb}"' in page
    response = head.post(page_url(web) + "/result")
    assert response.status_code == 400 and "Tied in votes and score" in response.get_data(as_text=True)
    assert head.post(page_url(web) + "/result", data={"tie": str(nb)}).status_code == 302
    page = client_as("thanhvien.ht", lang="en").get(page_url(web)).get_data(as_text=True)
    assert "Leading unit(s): <strong>Ban Tổ chức Tỉnh ủy Ninh Bình</strong>" in page
    assert "The conference decided the tie for: Ban Tổ chức Tỉnh ủy Ninh Bình." in page
    # the guard reads the recorded result: Ninh Bình is acclaimed now (the cluster's one place is taken, though)
    flag = in_state(web, "cluster_review")[0]
    reasons = head.get(page_url(web)).get_data(as_text=True)
    assert f'action="/nominations/{flag}/act"' in reasons and "The unit was not acclaimed" not in reasons
    assert "quota for “Emulation Flag of the Central Organising Commission” is used up" in reasons
