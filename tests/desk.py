"""Acting on the test world as its people do, through the domain's services (no web)."""

from __future__ import annotations

from datetime import datetime

from world import NOW, PDF, give
from workflow.domain import ballots, decisions
from workflow.domain import nominations as nom
from workflow.domain.dossier import attach
from workflow.domain.models import Council, Decision, Nomination, Period, Submission, User
from workflow.models import WorkflowInstance

REPORT = {"appraisal_report": "sha256:" + "a" * 64}


class Desk:
    def __init__(self, engine, catalogue, documents, sessions, world, readers):
        self.engine, self.catalogue, self.documents, self.sessions, self.world = engine, catalogue, documents, sessions, world
        self.readers = readers  # sessions that only read (on SQLite they do not take the write lock)

    def user(self, session, key: str) -> User:
        return session.get(User, self.world[key])

    def submission(self, unit: str, awards: list[str], officer: str, *, year: int = 2026, docs: bool = True,
                   now: datetime = NOW) -> int:
        with self.sessions.begin() as s:
            sub = nom.create_submission(s, self.catalogue, self.user(s, officer), body_id=self.world[unit],
                                        period=s.get(Period, self.world[str(year)]), award_codes=awards,
                                        title=f"Tờ trình đề nghị khen thưởng năm {year}", reference="12/TTr", now=now)
            if docs:
                kinds = {k for a in awards for k in self.catalogue.award(a).submission_documents}
                for kind in sorted(kinds):
                    attach(s, self.documents, kind=kind, data=PDF + kind.encode(), filename=f"{kind}.pdf",
                           user_id=self.world[officer], now=now, submission_id=sub.id)
            return sub.id

    def nominate(self, submission_id: int, award: str, officer: str, *, person: str | None = None,
                 unit: str | None = None, docs: bool = True, now: datetime = NOW) -> int:
        with self.sessions.begin() as s:
            n = nom.add_nomination(s, self.engine, self.catalogue, self.user(s, officer), s.get(Submission, submission_id),
                                   award_code=award, person_id=self.world[person] if person else None,
                                   nominee_body_id=self.world[unit] if unit else None,
                                   achievements="Hoàn thành xuất sắc nhiệm vụ", now=now)
            if docs:
                for kind in self.catalogue.award(award).documents:
                    attach(s, self.documents, kind=kind, data=PDF + f"{kind}{n.id}".encode(), filename=f"{kind}.pdf",
                           user_id=self.world[officer], now=now, nomination_id=n.id)
            return n.id

    def fire(self, nomination_id: int, who: str, trigger: str, *, now: datetime = NOW, acting_for: str | None = None,
             **kwargs):
        with self.sessions.begin() as s:
            principal = self.user(s, acting_for) if acting_for else None
            return nom.act(s, self.engine, self.user(s, who), s.get(Nomination, nomination_id), trigger, now=now,
                           acting_for=principal, **kwargs)

    def options(self, nomination_id: int, who: str, now: datetime = NOW) -> dict:
        from workflow.domain.organisation import actor_for
        with self.readers() as s:
            n = s.get(Nomination, nomination_id)
            actor = actor_for(s, self.user(s, who), n, on=now.date())
            return {o.trigger: o for o in self.engine.available(s, s.get(WorkflowInstance, n.instance_id), actor, now)}

    def state(self, nomination_id: int) -> str:
        with self.readers() as s:
            return s.get(WorkflowInstance, s.get(Nomination, nomination_id).instance_id).state

    def reasons(self, nomination_id: int, who: str, trigger: str, now: datetime = NOW) -> list[str]:
        option = self.options(nomination_id, who, now)[trigger]
        return [r.en for r in option.reasons]

    def posted_central_merit(self, person: str = "d1_9") -> int:
        """A Certificate of Merit of the Commission for ``person`` (Labour Advanced in 2024 and
        2025), accepted by the central office on NOW: on public posting."""
        with self.sessions.begin() as s:
            give(s, self.world, "LDTT", 2024, people=[person])
            give(s, self.world, "LDTT", 2025, people=[person])
        n = self.nominate(self.submission("D1", ["BK_TW"], "officer_d1"), "BK_TW", "officer_d1", person=person)
        self.fire(n, "officer_d1", "submit")
        self.fire(n, "head_d1", "approve_unit")
        self.fire(n, "sec_c", "accept", attachments=REPORT)
        return n

    def voted_through(self, people: list[str], *, award: str = "LDTT") -> list[int]:
        """Nominations of the grassroots department's people, approved by the province's council."""
        w = self.world
        sub = self.submission("D1", [award], "officer_d1")
        ids = [self.nominate(sub, award, "officer_d1", person=p) for p in people]
        for n in ids:
            self.fire(n, "officer_d1", "submit")
            self.fire(n, "head_d1", "approve_unit")
            self.fire(n, "sec_p", "accept", attachments=REPORT)
        with self.sessions.begin() as s:
            sitting = ballots.open_session(s, self.engine, self.user(s, "sec_p"), s.get(Council, w["PC"]),
                                           period_id=w["2026"], title="Phiên họp", held_on=NOW.date(),
                                           nominations=[s.get(Nomination, n) for n in ids])
            ballots.record_attendance(s, self.user(s, "sec_p"), sitting, [w[m] for m in ("head_p", "m1", "m2", "m3")])
            for member in ("head_p", "m1", "m2", "m3"):
                ballots.cast_ballot(s, self.catalogue, self.user(s, member), sitting, {n: "agree" for n in ids})
            ballots.close_session(s, self.catalogue, self.user(s, "sec_p"), sitting, now=NOW)
        for n in ids:
            self.fire(n, "sec_p", "record_vote")
        return ids

    def decide(self, nominations: list[int], *, steps=("submit_for_signature", "sign", "issue"),
               title: str = "Quyết định công nhận danh hiệu Lao động tiên tiến năm 2026", now: datetime = NOW) -> int:
        """A decision of the province's council granting ``nominations``, taken through ``steps``
        (drafted by the standing office, signed by the chair, issued by the clerk)."""
        with self.sessions.begin() as s:
            decision = decisions.draft_decision(s, self.engine, self.user(s, "sec_p"), s.get(Council, self.world["PC"]),
                                                period_id=self.world["2026"], title=title, now=now,
                                                nominations=[s.get(Nomination, n) for n in nominations])
            decision_id = decision.id
        for trigger in steps:
            self.act_on_decision(decision_id, trigger, now=now)
        return decision_id

    def act_on_decision(self, decision_id: int, trigger: str, *, now: datetime = NOW, **kwargs) -> None:
        who = {"submit_for_signature": "sec_p", "sign": "head_p", "issue": "clerk_p", "cancel": "sec_p"}[trigger]
        with self.sessions.begin() as s:
            decisions.act_on_decision(s, self.engine, self.user(s, who), s.get(Decision, decision_id), trigger,
                                      now=now, **kwargs)
