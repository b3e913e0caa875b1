"""Each rule of the domain, with both outcomes, as the engine's guards give them."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from world import NOW, give, initiative, later
from workflow import Blocked, Conflict
from workflow.domain import nominations as nom
from workflow.domain.errors import NotAllowed
from workflow.domain.models import ClusterResult, Delegation, Discipline, Nomination, Tally, User


def ldtt_holders(desk, s, keys, year=2026):
    give(s, desk.world, "LDTT", year, people=keys)


def test_a_nomination_goes_to_the_unit_head(desk):
    sub = desk.submission("D1", ["LDTT"], "officer_d1")
    n = desk.nominate(sub, "LDTT", "officer_d1", person="d1_1")
    assert desk.options(n, "officer_d1")["submit"].allowed
    desk.fire(n, "officer_d1", "submit")
    assert desk.state(n) == "unit_review"


# --- dossier complete -------------------------------------------------------------------------

def test_missing_documents_are_named(desk):
    sub = desk.submission("D1", ["LDTT"], "officer_d1", docs=False)
    n = desk.nominate(sub, "LDTT", "officer_d1", person="d1_1", docs=False)
    assert desk.reasons(n, "officer_d1", "submit") == [
        "Missing submission letter", "Missing meeting minutes", "Missing achievement report"]
    vi = [r.vi for r in desk.options(n, "officer_d1")["submit"].reasons]
    assert vi == ["Thiếu tờ trình", "Thiếu biên bản họp xét", "Thiếu báo cáo thành tích"]


# --- prerequisites ----------------------------------------------------------------------------

def test_a_base_level_fighter_must_hold_advanced_worker_and_an_initiative(desk):
    sub = desk.submission("D1", ["CSTDCS"], "officer_d1")
    n = desk.nominate(sub, "CSTDCS", "officer_d1", person="d1_1")
    assert desk.reasons(n, "officer_d1", "submit") == [
        "Does not hold “Advanced Worker” for Năm 2026", "No initiative recognised at unit level or above",
        "The unit's quota for “Base-level Emulation Fighter” is used up: at most 0 (15% × 0), 0 nominated"]
    with desk.sessions.begin() as s:
        give(s, desk.world, "LDTT", 2026, people=["d1_1"] + [f"d1_{i}" for i in range(2, 8)])
        initiative(s, desk.world, "d1_1", "province")  # a higher level counts too
    assert desk.options(n, "officer_d1")["submit"].allowed


def test_a_disciplined_person_is_not_eligible(desk):
    sub = desk.submission("D1", ["BK_CN"], "officer_d1")
    n = desk.nominate(sub, "BK_CN", "officer_d1", person="d1_2")
    with desk.sessions.begin() as s:
        give(s, desk.world, "LDTT", 2024, people=["d1_2"])
        give(s, desk.world, "LDTT", 2025, people=["d1_2"])
    assert desk.options(n, "officer_d1")["submit"].allowed
    with desk.sessions.begin() as s:
        s.add(Discipline(person_id=desk.world["d1_2"], period_id=desk.world["2026"], level="reprimand",
                         decided_on=date(2026, 5, 1)))
    assert desk.reasons(n, "officer_d1", "submit") == ["Disciplined at “Reprimand” or above in Năm 2026"]


def test_consecutive_years_are_counted(desk):
    sub = desk.submission("D1", ["CSTD_BO"], "officer_d1")
    n = desk.nominate(sub, "CSTD_BO", "officer_d1", person="d1_3")
    with desk.sessions.begin() as s:
        give(s, desk.world, "CSTDCS", 2024, people=["d1_3"])
        give(s, desk.world, "CSTDCS", 2025, people=["d1_3"])
        initiative(s, desk.world, "d1_3", "province")
    assert desk.reasons(n, "officer_d1", "submit") == [
        "Did not hold “Base-level Emulation Fighter” in each of the 3 previous years (missing 2023)"]
    with desk.sessions.begin() as s:
        give(s, desk.world, "CSTDCS", 2023, people=["d1_3"])
    assert desk.options(n, "officer_d1")["submit"].allowed


def test_an_excellent_collective_needs_its_members_titles(desk):
    sub = desk.submission("P", ["TTLDXS"], "officer_p")
    n = desk.nominate(sub, "TTLDXS", "officer_p", unit="D2")
    with desk.sessions.begin() as s:
        give(s, desk.world, "TTLDTT", 2026, units=["D2"])
        give(s, desk.world, "LDTT", 2026, people=["d2_1", "d2_2"])
    assert desk.reasons(n, "officer_p", "submit") == [
        "Only 2 of 3 members hold “Advanced Worker” (70% needed)",
        "At least 1 members must hold “Base-level Emulation Fighter” (0 do)"]
    with desk.sessions.begin() as s:
        give(s, desk.world, "LDTT", 2026, people=["d2_3"])
        give(s, desk.world, "CSTDCS", 2026, people=["d2_1"])
    assert desk.options(n, "officer_p")["submit"].allowed
    with desk.sessions.begin() as s:  # a reprimand is below 'warning': still eligible
        s.add(Discipline(person_id=desk.world["d2_2"], period_id=desk.world["2026"], level="reprimand",
                         decided_on=date(2026, 3, 1)))
    assert desk.options(n, "officer_p")["submit"].allowed
    with desk.sessions.begin() as s:
        s.add(Discipline(person_id=desk.world["d2_3"], period_id=desk.world["2026"], level="warning",
                         decided_on=date(2026, 4, 1)))
    assert desk.reasons(n, "officer_p", "submit") == [
        "A member was disciplined at “Warning” or above in Năm 2026"]


# --- quota ------------------------------------------------------------------------------------

def _fighters(desk, people):
    sub = desk.submission("D1", ["CSTDCS"], "officer_d1")
    with desk.sessions.begin() as s:
        give(s, desk.world, "LDTT", 2026, people=[f"d1_{i}" for i in range(1, 11)])  # 10 holders: cap 15% → 1
        for p in people:
            initiative(s, desk.world, p, "unit")
    return [desk.nominate(sub, "CSTDCS", "officer_d1", person=p) for p in people]


def test_the_quota_is_counted_across_the_unit(desk):
    first, second = _fighters(desk, ["d1_1", "d1_2"])
    desk.fire(first, "officer_d1", "submit")
    assert desk.reasons(second, "officer_d1", "submit") == [
        "The unit's quota for “Base-level Emulation Fighter” is used up: at most 1 (15% × 10), 1 nominated"]
    desk.fire(first, "officer_d1", "withdraw", comment="Nhường chỉ tiêu")
    desk.fire(second, "officer_d1", "submit")
    assert desk.state(second) == "unit_review"


def test_two_units_cannot_both_take_the_last_place(desk):
    first, second = _fighters(desk, ["d1_4", "d1_5"])
    barrier, outcomes = threading.Barrier(2), []

    def submit(n):
        barrier.wait()
        try:
            desk.fire(n, "officer_d1", "submit")
            outcomes.append("submitted")
        except (Blocked, Conflict) as refused:
            outcomes.append(type(refused).__name__)

    threads = [threading.Thread(target=submit, args=(n,)) for n in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["Blocked", "submitted"]
    assert sorted([desk.state(first), desk.state(second)]) == ["draft", "unit_review"]


# --- one achievement, one award ----------------------------------------------------------------

def test_one_achievement_one_award(desk):
    sub = desk.submission("D1", ["GK_CN"], "officer_d1")
    certificate = desk.nominate(sub, "GK_CN", "officer_d1", person="d1_6")
    again = desk.nominate(sub, "GK_CN", "officer_d1", person="d1_6")
    other_line = desk.nominate(desk.submission("D1", ["LDTT"], "officer_d1"), "LDTT", "officer_d1", person="d1_6")
    desk.fire(certificate, "officer_d1", "submit")
    assert desk.reasons(again, "officer_d1", "submit") == [
        "This achievement is already nominated or awarded in the period (one achievement, one award)"]
    desk.fire(other_line, "officer_d1", "submit")  # another line: allowed


def test_an_award_already_held_counts_for_its_line(desk):
    with desk.sessions.begin() as s:
        give(s, desk.world, "GK_CN", 2026, people=["d1_7"])
    n = desk.nominate(desk.submission("D1", ["GK_CN"], "officer_d1"), "GK_CN", "officer_d1", person="d1_7")
    assert "one achievement, one award" in desk.reasons(n, "officer_d1", "submit")[0]


# --- submission window and separation of duties ---------------------------------------------------

def test_submissions_only_within_the_window(desk):
    early = later(-300)  # February 2026
    n = desk.nominate(desk.submission("D1", ["LDTT"], "officer_d1", now=early), "LDTT", "officer_d1",
                      person="d1_1", now=early)
    assert desk.reasons(n, "officer_d1", "submit", now=early) == [
        "Outside the submission window of Năm 2026 (15/10/2026 – 31/12/2026)"]
    assert desk.options(n, "officer_d1")["submit"].allowed


def test_nobody_approves_a_nomination_that_names_them(desk):
    with desk.sessions.begin() as s:
        s.get(User, desk.world["head_d1"]).person_id = desk.world["d1_8"]
    n = desk.nominate(desk.submission("D1", ["LDTT"], "officer_d1"), "LDTT", "officer_d1", person="d1_8")
    desk.fire(n, "officer_d1", "submit")
    assert desk.reasons(n, "head_d1", "approve_unit") == ["Nobody may act on a nomination that names them"]


def test_a_delegate_acts_for_the_head_and_the_audit_names_both(desk):
    with desk.sessions.begin() as s:
        deputy = User(username="deputy_d1", display_name="Phó phòng", password_hash="!")
        s.add(deputy)
        s.flush()
        desk.world.ids["deputy_d1"] = deputy.id
    n = desk.nominate(desk.submission("D1", ["LDTT"], "officer_d1"), "LDTT", "officer_d1", person="d1_1")
    desk.fire(n, "officer_d1", "submit")
    with pytest.raises(NotAllowed):
        desk.fire(n, "deputy_d1", "approve_unit", acting_for="head_d1")
    with desk.sessions.begin() as s:
        s.add(Delegation(principal_id=desk.world["head_d1"], deputy_id=desk.world["deputy_d1"],
                         starts=date(2026, 11, 20), ends=date(2026, 11, 30)))
    event = desk.fire(n, "deputy_d1", "approve_unit", acting_for="head_d1")
    assert (event.actor_id, event.acting_for_id) == (str(desk.world["deputy_d1"]), str(desk.world["head_d1"]))
    assert desk.state(n) == "appraisal"


# --- the cluster and the flag ---------------------------------------------------------------------

def test_only_an_acclaimed_unit_is_forwarded_for_a_flag(desk):
    sub = desk.submission("P", ["CO_THI_DUA"], "officer_p")
    n = desk.nominate(sub, "CO_THI_DUA", "officer_p", unit="P")
    desk.fire(n, "officer_p", "submit")
    desk.fire(n, "head_p", "approve_unit")
    assert desk.state(n) == "cluster_review"
    minutes = {"cluster_minutes": "sha256:" + "0" * 64}
    assert desk.reasons(n, "head_p2", "forward") == ["The unit was not acclaimed by its cluster"]
    assert not desk.options(n, "head_p3")["forward"].allowed  # the deputy: same rule
    with desk.sessions.begin() as s:
        s.add(ClusterResult(cluster_id=desk.world["K"], period_id=desk.world["2026"], result={},
                            acclaimed=[desk.world["P"]], recorded_at=NOW, recorded_by=desk.world["head_p2"]))
    desk.fire(n, "head_p2", "forward", attachments=minutes)
    assert desk.state(n) == "appraisal"


def test_the_cluster_quota_holds_one_flag(desk):
    with desk.sessions.begin() as s:
        s.add(ClusterResult(cluster_id=desk.world["K"], period_id=desk.world["2026"], result={},
                            acclaimed=[desk.world["P"], desk.world["P3"]], recorded_at=NOW,
                            recorded_by=desk.world["head_p2"]))
    flags = []
    for unit, officer, head in (("P", "officer_p", "head_p"), ("P3", None, "head_p3")):
        if officer is None:
            with desk.sessions.begin() as s:
                from workflow.domain.models import RoleAssignment
                s.add(RoleAssignment(user_id=desk.world["officer_p2"], role="unit_officer", scope_kind="body",
                                     scope_id=desk.world["P3"]))
            officer = "officer_p2"
        n = desk.nominate(desk.submission(unit, ["CO_THI_DUA"], officer), "CO_THI_DUA", officer, unit=unit)
        desk.fire(n, officer, "submit")
        desk.fire(n, head, "approve_unit")
        flags.append(n)
    minutes = {"cluster_minutes": "sha256:" + "1" * 64}
    desk.fire(flags[0], "head_p2", "forward", attachments=minutes)
    assert desk.reasons(flags[1], "head_p2", "forward") == [
        "The cluster's quota for “Emulation Flag of the Central Organising Commission” is used up: at most 1, 1 nominated"]


# --- appraisal, posting, the council's vote ----------------------------------------------------

def _in_appraisal(desk, award="LDTT", person="d1_1"):
    n = desk.nominate(desk.submission("D1", [award], "officer_d1"), award, "officer_d1", person=person)
    desk.fire(n, "officer_d1", "submit")
    desk.fire(n, "head_d1", "approve_unit")
    assert desk.state(n) == "appraisal"
    return n


REPORT = {"appraisal_report": "sha256:" + "2" * 64}


def test_supplements_restart_the_appraisal_clock(desk):
    n = _in_appraisal(desk)
    desk.fire(n, "sec_p", "request_supplement", comment="Bổ sung biên bản họp xét")
    desk.fire(n, "officer_d1", "resubmit", now=later(9))
    with desk.sessions() as s:
        instance = nom.instance_of(s, s.get(Nomination, n))
        assert instance.state_entered_at == later(9)
        assert instance.deadline_at > later(9 + 10)  # ten working days from the resubmission


def test_ineligible_needs_reasons(desk):
    n = _in_appraisal(desk)
    with pytest.raises(Blocked) as blocked:
        desk.fire(n, "sec_p", "declare_ineligible")
    assert [r.en for r in blocked.value.reasons] == ["Missing: Why it is ineligible"]
    desk.fire(n, "sec_p", "declare_ineligible", inputs={"reasons": "Chưa đủ thời gian công tác"})
    assert desk.state(n) == "ineligible"


def test_public_posting_runs_its_days_then_ends(desk, engine, write_sessions):
    from workflow.deadlines import tick
    n = desk.posted_central_merit()
    assert desk.state(n) == "public_posting"
    assert desk.reasons(n, "sec_c", "end_posting") == ["The public posting runs until 02/12/2026"]
    assert [h.outcome for h in tick(write_sessions, engine, later(6))] == ["fired"]
    assert desk.state(n) == "council_vote"


def test_the_tally_decides_the_record_of_the_vote(desk):
    passing, failing = _in_appraisal(desk, person="d1_1"), _in_appraisal(desk, person="d1_2")
    for n in (passing, failing):
        desk.fire(n, "sec_p", "accept", attachments=REPORT)
        assert desk.reasons(n, "sec_p", "record_vote") == ["The council has not voted yet (or its session is still open)"]
    with desk.sessions.begin() as s:
        for n, agree in ((passing, 4), (failing, 2)):
            s.add(Tally(session_id=_session(s, desk), nomination_id=n, agree=agree, disagree=5 - agree, abstain=0,
                        base=5, threshold=0.5, ballot="open", passed=agree >= 2.5))
    desk.fire(passing, "sec_p", "record_vote")
    desk.fire(failing, "sec_p", "record_vote")
    assert (desk.state(passing), desk.state(failing)) == ("approved", "rejected")


def _session(s, desk):
    from workflow.domain.models import CouncilSession
    cs = CouncilSession(council_id=desk.world["PC"], period_id=desk.world["2026"], title="Phiên họp", held_on=NOW.date(),
                        opened_by=desk.world["sec_p"], status="closed")
    s.add(cs)
    s.flush()
    return cs.id


# --- bulk actions --------------------------------------------------------------------------------

def test_a_bulk_action_reports_each_item(desk):
    sub = desk.submission("D1", ["LDTT"], "officer_d1")
    ok = [desk.nominate(sub, "LDTT", "officer_d1", person=p) for p in ("d1_1", "d1_2")]
    missing = desk.nominate(sub, "LDTT", "officer_d1", person="d1_3", docs=False)
    with desk.sessions.begin() as s:
        results = nom.bulk_act(s, desk.engine, desk.user(s, "officer_d1"), nom.nominations_of(s, sub), "submit", now=NOW)
    assert [(r.nomination_id, r.ok) for r in results] == [(ok[0], True), (ok[1], True), (missing, False)]
    assert results[0].vi == "Đã chuyển sang “Chờ thủ trưởng đơn vị duyệt”"
    assert results[2].en == "Missing achievement report"
    assert [desk.state(n) for n in ok + [missing]] == ["unit_review", "unit_review", "draft"]
