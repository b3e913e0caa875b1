"""A whole season driven through the engine by every role, no web: the cluster's covenant,
scoring and acclaim; the units' nominations; appraisal; the council's session with open and
secret ballots and a written vote; the decisions, signed and issued; the award history; and a
revocation."""

from __future__ import annotations

from desk import REPORT
from world import NOW, give, initiative, later
from workflow.audit import verify
from workflow.domain import ballots, clusters, decisions, history
from workflow.domain import nominations as nom
from workflow.domain.models import Cluster, Council, CouncilSession, Decision, Nomination
from workflow.models import WorkflowInstance



def the_cluster_acclaims(desk, domain):
    w = desk.world
    with desk.sessions.begin() as s:
        k = s.get(Cluster, w["K"])
        clusters.sign_covenant(s, desk.user(s, "head_p2"), k, w["2026"], domain.covenant, on=NOW.date())
        units = {"head_p": "P", "head_p2": "P2", "head_p3": "P3"}
        marks = {"P": 9, "P2": 8, "P3": 7}
        for scorer, own in units.items():
            for unit, mark in marks.items():
                if unit != own:
                    clusters.record_scores(s, desk.user(s, scorer), k, w["2026"], scored_body_id=w[unit],
                                           scores={c.code: mark for c in domain.covenant.criteria}, on=NOW.date())
        clusters.cast_acclaim_vote(s, desk.user(s, "head_p2"), k, w["2026"], candidates=[w["P"]], on=NOW.date())
        clusters.cast_acclaim_vote(s, desk.user(s, "head_p3"), k, w["2026"], candidates=[w["P"]], on=NOW.date())
        clusters.cast_acclaim_vote(s, desk.user(s, "head_p"), k, w["2026"], candidates=[w["P3"]], on=NOW.date())
        result = clusters.record_result(s, desk.user(s, "head_p2"), k, w["2026"], now=NOW)
        assert result.acclaimed == [w["P"]]
        assert result.result["votes"] == {str(w["P"]): 2, str(w["P2"]): 0, str(w["P3"]): 1}
        assert result.result["scores"][str(w["P"])] == 90.0


def test_a_whole_season(desk, domain, engine):
    w, catalogue = desk.world, domain.catalogue
    the_cluster_acclaims(desk, domain)

    # the grassroots department proposes five Advanced Workers, and a provincial Emulation Fighter
    with desk.sessions.begin() as s:
        give(s, w, "CSTDCS", 2023, people=["d1_6"])
        give(s, w, "CSTDCS", 2024, people=["d1_6"])
        give(s, w, "CSTDCS", 2025, people=["d1_6"])
        initiative(s, w, "d1_6", "province")
    workers = desk.submission("D1", ["LDTT"], "officer_d1")
    ldtt = [desk.nominate(workers, "LDTT", "officer_d1", person=f"d1_{i}") for i in range(1, 6)]
    fighter = desk.nominate(desk.submission("D1", ["CSTD_BO"], "officer_d1"), "CSTD_BO", "officer_d1", person="d1_6")
    with desk.sessions.begin() as s:
        results = nom.bulk_act(s, engine, desk.user(s, "officer_d1"), nom.nominations_of(s, workers), "submit", now=NOW)
        assert all(r.ok for r in results)
    desk.fire(fighter, "officer_d1", "submit")
    for n in ldtt + [fighter]:
        desk.fire(n, "head_d1", "approve_unit", now=later(1))
    # the standing office appraises: one dossier comes back for supplements first
    desk.fire(ldtt[4], "sec_p", "request_supplement", comment="Bổ sung báo cáo thành tích có xác nhận", now=later(2))
    desk.fire(ldtt[4], "officer_d1", "resubmit", now=later(3))
    for n in ldtt + [fighter]:
        desk.fire(n, "sec_p", "accept", attachments=REPORT, now=later(4))
        assert desk.state(n) == "council_vote"

    # the council sits: four attend, one votes in writing; Advanced Worker openly, the Fighter secretly
    with desk.sessions.begin() as s:
        council = s.get(Council, w["PC"])
        items = [s.get(Nomination, n) for n in ldtt + [fighter]]
        sitting = ballots.open_session(s, engine, desk.user(s, "sec_p"), council, period_id=w["2026"],
                                       title="Phiên họp Hội đồng TĐKT năm 2026", held_on=later(5).date(), nominations=items)
        ballots.record_attendance(s, desk.user(s, "sec_p"), sitting, [w["head_p"], w["m1"], w["m2"], w["m3"]])
        session_id = sitting.id
    votes = {"head_p": "agree", "m1": "agree", "m2": "agree", "m3": "agree", "m4": "agree"}
    with desk.sessions.begin() as s:
        sitting = s.get(CouncilSession, session_id)
        for member, choice in votes.items():
            answers = {n: choice for n in ldtt + [fighter]}
            answers[ldtt[3]] = "disagree" if member in ("m1", "m2", "m3") else "agree"  # 2 of 5: not passed
            recorder = desk.user(s, "sec_p") if member == "m4" else None  # m4 is absent: a written vote
            ballots.cast_ballot(s, catalogue, desk.user(s, member), sitting, answers, recorded_by=recorder)
        tallies = {t.nomination_id: t for t in ballots.close_session(s, catalogue, desk.user(s, "sec_p"), sitting,
                                                                     now=later(5))}
    assert tallies[fighter].ballot == "secret" and tallies[fighter].agree == 5 and tallies[fighter].passed
    assert (tallies[ldtt[3]].agree, tallies[ldtt[3]].base, tallies[ldtt[3]].passed) == (2, 5, False)
    for n in ldtt + [fighter]:
        desk.fire(n, "sec_p", "record_vote", now=later(6))
    approved = [n for n in ldtt + [fighter] if desk.state(n) == "approved"]
    assert approved == ldtt[:3] + [ldtt[4], fighter] and desk.state(ldtt[3]) == "rejected"

    # the decision: drafted, signed by the chair, numbered and issued by the clerk
    with desk.sessions.begin() as s:
        decision = decisions.draft_decision(s, engine, desk.user(s, "sec_p"), s.get(Council, w["PC"]),
                                            period_id=w["2026"], title="Quyết định khen thưởng năm 2026",
                                            nominations=[s.get(Nomination, n) for n in approved], now=later(7))
        decision_id = decision.id
    for who, trigger in (("sec_p", "submit_for_signature"), ("head_p", "sign"), ("clerk_p", "issue")):
        with desk.sessions.begin() as s:
            decisions.act_on_decision(s, engine, desk.user(s, who), s.get(Decision, decision_id), trigger, now=later(8))
    with desk.readers() as s:
        issued = s.get(Decision, decision_id)
        assert (issued.number, issued.issued_on) == ("1/QĐ-BTCTU", later(8).date())
        assert all(desk.state(n) == "awarded" for n in approved)
        found = history.search(s, text="nguyen van muoi", period_code="2026")
        assert sorted((r.record.award_code, r.holder) for r in found) == sorted(
            [("LDTT", f"Nguyễn Văn Mười {i}") for i in (1, 2, 3, 5)] + [("CSTD_BO", "Nguyễn Văn Mười 6")])
        assert all(r.record.decision_number == "1/QĐ-BTCTU" for r in found)

    # the province's flag: acclaimed by the cluster, forwarded by its head, voted by the central council
    flag = desk.nominate(desk.submission("P", ["CO_THI_DUA"], "officer_p"), "CO_THI_DUA", "officer_p", unit="P")
    desk.fire(flag, "officer_p", "submit")
    desk.fire(flag, "head_p", "approve_unit")
    desk.fire(flag, "head_p2", "forward", attachments={"cluster_minutes": "sha256:" + "b" * 64})
    desk.fire(flag, "sec_c", "accept", attachments=REPORT)
    with desk.sessions.begin() as s:
        sitting = ballots.open_session(s, engine, desk.user(s, "sec_c"), s.get(Council, w["CC"]), period_id=w["2026"],
                                       title="Phiên họp Hội đồng TĐKT Trung ương", held_on=later(9).date(),
                                       nominations=[s.get(Nomination, flag)])
        ballots.record_attendance(s, desk.user(s, "sec_c"), sitting, [w["chair_c"], w["c1"], w["c2"]])
        for member in ("chair_c", "c1", "c2"):
            ballots.cast_ballot(s, catalogue, desk.user(s, member), sitting, {flag: "agree"})
        ballots.close_session(s, catalogue, desk.user(s, "chair_c"), sitting, now=later(9))
    desk.fire(flag, "sec_c", "record_vote", now=later(9))
    with desk.sessions.begin() as s:
        central = decisions.draft_decision(s, engine, desk.user(s, "sec_c"), s.get(Council, w["CC"]),
                                           period_id=w["2026"], title="Quyết định tặng Cờ thi đua năm 2026",
                                           nominations=[s.get(Nomination, flag)], now=later(10))
        central_id = central.id
    for who, trigger in (("sec_c", "submit_for_signature"), ("chair_c", "sign"), ("clerk_c", "issue")):
        with desk.sessions.begin() as s:
            decisions.act_on_decision(s, engine, desk.user(s, who), s.get(Decision, central_id), trigger, now=later(10))
    with desk.readers() as s:
        assert s.get(Decision, central_id).number == "1/QĐ-BTCTW"
        assert history.holds(s, "CO_THI_DUA", w["2026"], body_id=w["P"])

    # a correction is a new decision: revoking the province's decision revokes its awards
    with desk.sessions.begin() as s:
        revocation = decisions.draft_revocation(s, engine, desk.user(s, "sec_p"), s.get(Decision, decision_id),
                                                title="Quyết định thu hồi Quyết định số 1/QĐ-BTCTU", now=later(20))
        revocation_id = revocation.id
    for who, trigger in (("sec_p", "submit_for_signature"), ("head_p", "sign"), ("clerk_p", "issue")):
        with desk.sessions.begin() as s:
            decisions.act_on_decision(s, engine, desk.user(s, who), s.get(Decision, revocation_id), trigger,
                                      now=later(21))
    with desk.readers() as s:
        assert s.get(Decision, revocation_id).number == "2/QĐ-BTCTU"
        old = s.get(WorkflowInstance, s.get(Decision, decision_id).instance_id)
        assert old.state == "revoked"
        assert all(desk.state(n) == "revoked" for n in approved)
        assert history.search(s, period_code="2026", body_id=w["D1"]) == []
        assert len(history.search(s, period_code="2026", body_id=w["D1"], include_revoked=True)) == 5
        assert list(verify(s)) == []


def test_what_a_decision_may_grant_or_revoke_and_who_sees_it(desk, domain, engine):
    from workflow.domain.models import User
    w = desk.world
    first, second = desk.voted_through(["d1_1", "d1_2"])

    def ids(found):
        return [x.id for x in found]

    def sees(who, decision_id):
        with desk.readers() as s:
            return decisions.can_view_decision(s, s.get(User, w[who]), s.get(Decision, decision_id), NOW.date())

    with desk.readers() as s:
        assert ids(decisions.awardable(engine, s, w["PC"])) == [first, second]
        assert decisions.revocable(engine, s, w["PC"]) == []
    with desk.sessions.begin() as s:
        decision_id = decisions.draft_decision(s, engine, desk.user(s, "sec_p"), s.get(Council, w["PC"]),
                                               period_id=w["2026"], title="Quyết định", now=NOW,
                                               nominations=[s.get(Nomination, first)]).id
    with desk.readers() as s:
        assert ids(decisions.awardable(engine, s, w["PC"])) == [second]  # the other is in a live decision
    # a draft: the council's people only; once issued, also the unit whose nomination it grants
    assert (sees("sec_p", decision_id), sees("m1", decision_id), sees("admin", decision_id)) == (True, True, True)
    assert not sees("officer_d1", decision_id) and not sees("sec_c", decision_id)
    for who, trigger in (("sec_p", "submit_for_signature"), ("head_p", "sign"), ("clerk_p", "issue")):
        with desk.sessions.begin() as s:
            decisions.act_on_decision(s, engine, desk.user(s, who), s.get(Decision, decision_id), trigger, now=NOW)
    assert sees("officer_d1", decision_id) and sees("head_d1", decision_id)
    assert not sees("officer_d2", decision_id) and not sees("sec_c", decision_id)
    with desk.readers() as s:
        assert ids(decisions.revocable(engine, s, w["PC"])) == [decision_id]
        from workflow.domain.organisation import RoleBook
        listed = s.scalars(decisions.visible_decisions(s, RoleBook(s, w["officer_d1"], NOW.date()))).all()
        assert ids(listed) == [decision_id]
    # a revocation in progress: the decision is not offered for another; cancelled, it is again
    with desk.sessions.begin() as s:
        revocation_id = decisions.draft_revocation(s, engine, desk.user(s, "sec_p"), s.get(Decision, decision_id),
                                                   title="Quyết định thu hồi", now=NOW).id
    with desk.readers() as s:
        assert decisions.revocable(engine, s, w["PC"]) == []
        assert ids(decisions.revocations(engine, s, s.get(Decision, decision_id))) == [revocation_id]
    assert sees("sec_p", revocation_id) and not sees("officer_d1", revocation_id)  # not issued yet
    with desk.sessions.begin() as s:
        decisions.act_on_decision(s, engine, desk.user(s, "sec_p"), s.get(Decision, revocation_id), "cancel",
                                  comment="Soạn lại", now=NOW)
    with desk.readers() as s:
        assert decisions.revocations(engine, s, s.get(Decision, decision_id)) == []
        assert ids(decisions.revocable(engine, s, w["PC"])) == [decision_id]
