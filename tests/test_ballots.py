"""Council sessions and ballots; the secret ballot's unlinkability, checked on the tables."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from world import NOW, later
from workflow.domain import ballots
from workflow.domain.errors import DomainError, NotAllowed
from workflow.domain.models import BallotCast, Council, CouncilSession, Nomination, User

REPORT = {"appraisal_report": "sha256:" + "c" * 64}
MEMBERS = ["head_p", "m1", "m2", "m3", "m4"]


@pytest.fixture
def sitting(desk, domain, engine):
    """A session of the province's council: three Advanced Workers (open ballot) and one
    provincial Emulation Fighter (secret ballot); every member present but m4."""
    from world import give, initiative
    w = desk.world
    with desk.sessions.begin() as s:
        for year in (2023, 2024, 2025):
            give(s, w, "CSTDCS", year, people=["d1_6"])
        initiative(s, w, "d1_6", "province")
    sub = desk.submission("D1", ["LDTT"], "officer_d1")
    items = [desk.nominate(sub, "LDTT", "officer_d1", person=f"d1_{i}") for i in (1, 2, 3)]
    items.append(desk.nominate(desk.submission("D1", ["CSTD_BO"], "officer_d1"), "CSTD_BO", "officer_d1", person="d1_6"))
    for n in items:
        desk.fire(n, "officer_d1", "submit")
        desk.fire(n, "head_d1", "approve_unit")
        desk.fire(n, "sec_p", "accept", attachments=REPORT)
    with desk.sessions.begin() as s:
        session = ballots.open_session(s, engine, desk.user(s, "sec_p"), s.get(Council, w["PC"]), period_id=w["2026"],
                                       title="Phiên họp", held_on=NOW.date(), nominations=[s.get(Nomination, n) for n in items])
        ballots.record_attendance(s, desk.user(s, "sec_p"), session, [w[m] for m in MEMBERS[:4]])
        return session.id, items


def cast(desk, domain, session_id, member, answers, recorded_by=None):
    with desk.sessions.begin() as s:
        ballots.cast_ballot(s, domain.catalogue, desk.user(s, member), s.get(CouncilSession, session_id), answers,
                            recorded_by=desk.user(s, recorded_by) if recorded_by else None)


def test_the_secret_vote_table_cannot_name_a_member(db):
    columns = {c["name"] for c in inspect(db).get_columns("secret_vote")}
    assert columns == {"key", "session_id", "nomination_id", "choice"}
    assert {c["name"] for c in inspect(db).get_columns("ballot_cast")} == {"session_id", "user_id", "written"}
    if db.dialect.name == "sqlite":
        with db.connect() as conn:
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'secret_vote'")).scalar()
        assert "WITHOUT ROWID" in sql.upper()  # no rowid that would follow the order of casting


def test_a_member_votes_once_and_nobody_sees_a_running_tally(desk, domain, sitting):
    session_id, items = sitting
    answers = {n: "agree" for n in items}
    cast(desk, domain, session_id, "m1", answers)
    with pytest.raises(DomainError, match="already voted"):
        cast(desk, domain, session_id, "m1", answers)
    with desk.readers() as s, pytest.raises(DomainError, match="closed"):
        ballots.tallies(s, s.get(CouncilSession, session_id))


def test_only_members_vote_and_the_absent_in_writing(desk, domain, sitting):
    session_id, items = sitting
    answers = {n: "agree" for n in items}
    with pytest.raises(NotAllowed):
        cast(desk, domain, session_id, "clerk_p", answers)
    with pytest.raises(DomainError, match="in writing"):
        cast(desk, domain, session_id, "m4", answers)
    with pytest.raises(DomainError, match="in person"):
        cast(desk, domain, session_id, "m1", answers, recorded_by="sec_p")
    cast(desk, domain, session_id, "m4", answers, recorded_by="sec_p")
    with desk.readers() as s:
        assert s.get(BallotCast, (session_id, desk.world["m4"])).written


def test_a_ballot_must_answer_every_item_with_a_known_choice(desk, domain, sitting):
    session_id, items = sitting
    with pytest.raises(DomainError, match="every item"):
        cast(desk, domain, session_id, "m1", {items[0]: "agree"})
    with pytest.raises(DomainError, match="agree, disagree or abstain"):
        cast(desk, domain, session_id, "m1", {n: "maybe" for n in items})


def test_a_member_does_not_vote_on_a_nomination_naming_them(desk, domain, sitting):
    session_id, items = sitting
    with desk.sessions.begin() as s:
        s.get(User, desk.world["m2"]).person_id = desk.world["d1_1"]
    with desk.readers() as s:
        mine = [n.id for n in ballots.ballot_items(s, desk.user(s, "m2"), s.get(CouncilSession, session_id))]
    assert items[0] not in mine and len(mine) == 3
    with pytest.raises(DomainError):
        cast(desk, domain, session_id, "m2", {n: "agree" for n in items})
    cast(desk, domain, session_id, "m2", {n: "agree" for n in mine})


def test_secret_votes_are_unlinkable_in_the_tables(desk, domain, sitting, db):
    session_id, items = sitting
    fighter = items[3]
    order = ["m3", "head_p", "m1", "m2"]
    for i, member in enumerate(order):  # each member's secret choice differs, so order would show
        cast(desk, domain, session_id, member, {**{n: "agree" for n in items[:3]},
                                                fighter: ("agree", "disagree", "abstain", "agree")[i]})
    with db.connect() as conn:
        before = conn.execute(text(f"SELECT key, nomination_id, choice FROM secret_vote WHERE session_id = {session_id}")).all()
        casts = conn.execute(text(f"SELECT user_id FROM ballot_cast WHERE session_id = {session_id}")).all()
    assert len(before) == 4 and {r.nomination_id for r in before} == {fighter}
    assert len({r.key for r in before}) == 4 and all(len(r.key) == 32 for r in before)  # random keys, no sequence
    assert sorted(u for (u,) in casts) == sorted(desk.world[m] for m in order)
    with desk.sessions.begin() as s:
        ballots.close_session(s, domain.catalogue, desk.user(s, "sec_p"), s.get(CouncilSession, session_id), now=later(0))
    with db.connect() as conn:
        after = conn.execute(text(f"SELECT key, choice FROM secret_vote WHERE session_id = {session_id}")).all()
        assert sorted(c for _, c in after) == sorted(c for _, _, c in before)
        assert not {k for k, _ in after} & {r.key for r in before}  # rewritten under new keys when closed
        if db.dialect.name == "postgresql":
            # all the votes were written by the closing transaction, none by a member's
            vote_tx = {x for (x,) in conn.execute(text(
                f"SELECT xmin::text FROM secret_vote WHERE session_id = {session_id}"))}
            cast_tx = {x for (x,) in conn.execute(text(
                f"SELECT xmin::text FROM ballot_cast WHERE session_id = {session_id}"))}
            assert len(vote_tx) == 1 and not vote_tx & cast_tx
    with desk.readers() as s:
        tally = {t.nomination_id: t for t in ballots.tallies(s, s.get(CouncilSession, session_id))}[fighter]
        assert (tally.agree, tally.disagree, tally.abstain, tally.ballot) == (2, 1, 1, "secret")


def test_quorum_and_thresholds_decide(desk, domain, sitting):
    session_id, items = sitting
    for member in ("head_p", "m1", "m2", "m3"):
        cast(desk, domain, session_id, member, {n: "agree" for n in items})
    with desk.sessions.begin() as s:
        tallies = {t.nomination_id: t for t in ballots.close_session(
            s, domain.catalogue, desk.user(s, "head_p"), s.get(CouncilSession, session_id),
            now=later(0))}
        closed = s.get(CouncilSession, session_id)
        assert (closed.members_total, closed.members_present, closed.quorum_met) == (5, 4, True)
    # Advanced Worker: 50% of those voting → passed; provincial Fighter: 90% of all five → 4/5 fails
    assert all(tallies[n].passed for n in items[:3])
    assert (tallies[items[3]].agree, tallies[items[3]].base, tallies[items[3]].passed) == (4, 5, False)
    with pytest.raises(DomainError, match="closed"):
        cast(desk, domain, session_id, "m4", {n: "agree" for n in items}, recorded_by="sec_p")


def test_without_quorum_nothing_passes(desk, domain, sitting):
    session_id, items = sitting
    with desk.sessions.begin() as s:
        ballots.record_attendance(s, desk.user(s, "sec_p"), s.get(CouncilSession, session_id),
                                  [desk.world["head_p"], desk.world["m1"]])  # 2 of 5 < 2/3
    for member in ("head_p", "m1"):
        cast(desk, domain, session_id, member, {n: "agree" for n in items})
    with desk.sessions.begin() as s:
        tallies = ballots.close_session(s, domain.catalogue, desk.user(s, "sec_p"), s.get(CouncilSession, session_id),
                                        now=later(0))
    assert not any(t.passed for t in tallies)


def test_an_item_is_on_one_open_agenda_at_a_time(desk, domain, engine, sitting):
    session_id, items = sitting
    with desk.readers() as s:
        assert ballots.agenda_candidates(engine, s, desk.world["PC"]) == []  # all on the open session's agenda
        assert [n.id for n in ballots.agenda(s, s.get(CouncilSession, session_id))] == items
    with desk.sessions.begin() as s, pytest.raises(DomainError, match="still voting"):
        ballots.open_session(s, engine, desk.user(s, "sec_p"), s.get(Council, desk.world["PC"]),
                             period_id=desk.world["2026"], title="Phiên họp thứ hai", held_on=NOW.date(),
                             nominations=[s.get(Nomination, items[0])])
    with desk.sessions.begin() as s:
        ballots.close_session(s, domain.catalogue, desk.user(s, "sec_p"), s.get(CouncilSession, session_id),
                              now=later(0))
    with desk.readers() as s:  # closed, results not yet recorded: they may be heard again
        assert [n.id for n in ballots.agenda_candidates(engine, s, desk.world["PC"])] == items


def test_the_quorum_counted_while_open_and_frozen_when_closed(desk, domain, sitting):
    session_id, items = sitting
    with desk.readers() as s:
        q = ballots.quorum(s, domain.catalogue, s.get(CouncilSession, session_id))
    assert (q.members, q.present, q.required, q.met) == (5, 4, 4, True)  # 2/3 of 5, rounded up
    with desk.sessions.begin() as s:
        ballots.record_attendance(s, desk.user(s, "sec_p"), s.get(CouncilSession, session_id), [desk.world["m1"]])
        assert ballots.quorum(s, domain.catalogue, s.get(CouncilSession, session_id)).met is False
        ballots.close_session(s, domain.catalogue, desk.user(s, "sec_p"), s.get(CouncilSession, session_id),
                              now=later(0))
    with desk.readers() as s:
        closed = s.get(CouncilSession, session_id)
        q = ballots.quorum(s, domain.catalogue, closed)
    assert (q.members, q.present, q.required, q.met) == (5, 1, 4, False)
    assert (closed.members_total, closed.members_present, closed.quorum_met) == (5, 1, False)


def test_a_member_who_voted_in_person_stays_present(desk, domain, sitting):
    session_id, items = sitting
    cast(desk, domain, session_id, "m1", {n: "agree" for n in items})
    cast(desk, domain, session_id, "m4", {n: "agree" for n in items}, recorded_by="sec_p")  # written: not present
    with desk.sessions.begin() as s, pytest.raises(DomainError, match="stays present"):
        ballots.record_attendance(s, desk.user(s, "sec_p"), s.get(CouncilSession, session_id), [desk.world["m2"]])
    with desk.sessions.begin() as s:
        ballots.record_attendance(s, desk.user(s, "sec_p"), s.get(CouncilSession, session_id),
                                  [desk.world["m1"], desk.world["m2"]])
