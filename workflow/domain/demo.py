"""Demo data (``flask --app web demo seed``): the seed story's organisation and a season in
progress, with nominations in every state of their workflow.

The organisation comes from ``definitions/demo/organisation.yaml`` (Cluster No. 2 — the
provincial Party Organising Committees of Thái Bình, Lạng Sơn, Ninh Bình and Hà Tĩnh — and Thái
Bình's own council and departments). Everything after that is done the way people do it:
through the domain's services and the engine, as the person whose job it is, on a fixed demo
calendar in November 2026.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..deadlines import tick
from ..engine import Engine
from ..loader import DEFAULT_ROOT
from ..models import WorkflowInstance
from . import ballots, clusters, decisions
from . import nominations as nom
from .dossier import attach
from .errors import DomainError
from .models import (Body, Cluster, Council, CouncilSession, Decision, Nomination, Period, Person, PublicComment,
                     RoleAssignment, Submission, User)
from .organisation import roles_for
from .orgio import apply_organisation, read_organisation
from .setup import Domain

__all__ = ["DEMO_PASSWORD", "DEMO_FILE", "seed", "SeedSummary", "AlreadySeeded"]

DEMO_FILE = DEFAULT_ROOT / "demo" / "organisation.yaml"
DEMO_PASSWORD = "thidua2026"
"""Every demo account's password (the README lists the accounts)."""
START = datetime(2026, 10, 20, 2, 0, tzinfo=timezone.utc)  # 20 October 2026, 09:00 in Hà Nội
_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


class AlreadySeeded(DomainError):
    """The demo data is in the database already."""


@dataclass
class SeedSummary:
    users: list[tuple[str, str, list[str]]] = field(default_factory=list)  # username, name, roles
    states: dict[str, int] = field(default_factory=dict)                   # nomination state → count


class _Demo:
    """The season, step by step, each step in its own transaction as one person."""

    def __init__(self, writes: sessionmaker[Session], engine: Engine, domain: Domain):
        self.writes, self.engine, self.domain = writes, engine, domain
        self.catalogue, self.documents = domain.catalogue, domain.definitions.vocabulary.documents

    def at(self, days: float) -> datetime:
        return START + timedelta(days=days)

    def user(self, s: Session, username: str) -> User:
        return s.scalar(select(User).where(User.username == username))

    def body(self, s: Session, code: str) -> Body:
        return s.scalar(select(Body).where(Body.code == code))

    def person(self, s: Session, code: str) -> Person:
        return s.scalar(select(Person).where(Person.code == code))

    def file(self, label: str) -> bytes:
        return _PDF.replace(b"%%EOF", f"% {label}\n%%EOF".encode())

    def submission(self, officer: str, unit: str, awards: list[str], title: str, when: float) -> int:
        with self.writes.begin() as s:
            period = s.scalar(select(Period).where(Period.code == "2026"))
            sub = nom.create_submission(s, self.catalogue, self.user(s, officer), body_id=self.body(s, unit).id,
                                        period=period, award_codes=awards, title=title, reference=None,
                                        now=self.at(when))
            for kind in sorted({k for a in awards for k in self.catalogue.award(a).submission_documents}):
                attach(s, self.documents, kind=kind, data=self.file(f"{title} {kind}"), filename=f"{kind}.pdf",
                       user_id=self.user(s, officer).id, now=self.at(when), submission_id=sub.id)
            return sub.id

    def nominate(self, officer: str, submission: int, award: str, when: float, *, person: str | None = None,
                 unit: str | None = None, documents: bool = True) -> int:
        with self.writes.begin() as s:
            n = nom.add_nomination(
                s, self.engine, self.catalogue, self.user(s, officer), s.get(Submission, submission), award_code=award,
                person_id=self.person(s, person).id if person else None,
                nominee_body_id=self.body(s, unit).id if unit else None,
                achievements="Hoàn thành xuất sắc nhiệm vụ được giao; tích cực tham mưu công tác tổ chức xây dựng Đảng.",
                now=self.at(when))
            for kind in self.catalogue.award(award).documents if documents else ():
                attach(s, self.documents, kind=kind, data=self.file(f"{n.id} {kind}"), filename=f"{kind}.pdf",
                       user_id=self.user(s, officer).id, now=self.at(when), nomination_id=n.id)
            return n.id

    def act(self, who: str, nomination: int, trigger: str, when: float, **kwargs) -> None:
        with self.writes.begin() as s:
            nom.act(s, self.engine, self.user(s, who), s.get(Nomination, nomination), trigger, now=self.at(when),
                    **kwargs)

    def decide(self, steps: list[tuple[str, str]], decision: int, when: float) -> None:
        for who, trigger in steps:
            with self.writes.begin() as s:
                decisions.act_on_decision(s, self.engine, self.user(s, who), s.get(Decision, decision), trigger,
                                          now=self.at(when))

    def report(self, label: str) -> dict[str, str]:
        return {"appraisal_report": label}

    # --- the season ---------------------------------------------------------------------------

    def cluster_conference(self) -> None:
        """Cluster No. 2 in 2026: Ninh Bình leads it; the members score and acclaim Thái Bình."""
        with self.writes.begin() as s:
            cluster = s.scalar(select(Cluster).where(Cluster.code == "cum-2"))
            period = s.scalar(select(Period).where(Period.code == "2026")).id
            day = self.at(30)
            clusters.sign_covenant(s, self.user(s, "cumtruong.nb"), cluster, period, self.domain.covenant,
                                   on=self.at(-250).date())
            heads = {"chutich.tb": "btc-tb", "cumtruong.nb": "btc-nb", "cumpho.ls": "btc-ls", "thanhvien.ht": "btc-ht"}
            marks = {"btc-tb": 9.5, "btc-nb": 9.0, "btc-ls": 8.5, "btc-ht": 8.75}
            for scorer, own in heads.items():
                for unit, mark in marks.items():
                    if unit != own:
                        clusters.record_scores(s, self.user(s, scorer), cluster, period,
                                               scored_body_id=self.body(s, unit).id,
                                               scores={c.code: mark for c in self.domain.covenant.criteria},
                                               on=day.date())
            votes = {"cumtruong.nb": "btc-tb", "cumpho.ls": "btc-tb", "thanhvien.ht": "btc-tb", "chutich.tb": "btc-nb"}
            for voter, candidate in votes.items():
                clusters.cast_acclaim_vote(s, self.user(s, voter), cluster, period,
                                           candidates=[self.body(s, candidate).id], on=day.date())
            clusters.record_result(s, self.user(s, "cumtruong.nb"), cluster, period, now=day)

    def advanced_workers(self) -> tuple[list[int], int]:
        """October–November: the Advanced Workers of two departments, voted and awarded by two
        decisions. Returns the second decision (later revoked) and its nominations."""
        tccs = self.submission("canbo.tccs", "tb-tccs", ["LDTT"], "Tờ trình đề nghị công nhận danh hiệu "
                               "Lao động tiên tiến năm 2026 (Phòng Tổ chức cơ sở đảng - đảng viên)", 0)
        people = ["tb-thanh", "tb-khanh", "tb-ngoc", "tb-son", "tb-hanh", "tb-anh", "tb-phuong", "tb-tu"]
        grassroots = [self.nominate("canbo.tccs", tccs, "LDTT", 0, person=p) for p in people]
        cb = self.submission("canbo.cb", "tb-cb", ["LDTT"], "Tờ trình đề nghị công nhận danh hiệu Lao động "
                             "tiên tiến năm 2026 (Phòng Cán bộ)", 0.5)
        personnel = [self.nominate("canbo.cb", cb, "LDTT", 0.5, person=p) for p in ("tb-loan", "tb-quang", "tb-thuy")]
        for n in grassroots + personnel:
            mine = n in personnel
            self.act("canbo.cb" if mine else "canbo.tccs", n, "submit", 1)
            self.act("uyvien4.tb" if mine else "truongphong.tccs", n, "approve_unit", 2)
            self.act("thuongtruc.tb", n, "accept", 5, attachments=self.report(f"TĐ-LĐTT-{n}"))
        session = self.council_session("Phiên họp xét danh hiệu Lao động tiên tiến năm 2026", grassroots + personnel,
                                       8, voters=["chutich.tb", "uyvien.tb", "uyvien2.tb", "uyvien3.tb", "uyvien4.tb"])
        self.close(session, 8)
        for n in grassroots + personnel:
            self.act("thuongtruc.tb", n, "record_vote", 8.1)
        signing = [("thuongtruc.tb", "submit_for_signature"), ("chutich.tb", "sign"), ("vanthu.tb", "issue")]
        first = self.draft_decision("thuongtruc.tb", "hd-btc-tb", grassroots, "Quyết định công nhận danh hiệu "
                                    "Lao động tiên tiến năm 2026 (Phòng Tổ chức cơ sở đảng - đảng viên)", 9)
        self.decide(signing, first, 10)
        second = self.draft_decision("thuongtruc.tb", "hd-btc-tb", personnel, "Quyết định công nhận danh hiệu "
                                     "Lao động tiên tiến năm 2026 (Phòng Cán bộ)", 9)
        self.decide(signing, second, 10.2)
        return personnel, second

    def council_session(self, title: str, items: list[int], when: float, *, voters: list[str],
                        absent: tuple[str, ...] = (), choice: Callable[[str, int], str] = lambda m, n: "agree",
                        council: str = "hd-btc-tb", secretariat: str = "thuongtruc.tb") -> int:
        with self.writes.begin() as s:
            council_row = s.scalar(select(Council).where(Council.code == council))
            period = s.scalar(select(Period).where(Period.code == "2026")).id
            sitting = ballots.open_session(s, self.engine, self.user(s, secretariat), council_row, period_id=period,
                                           title=title, held_on=self.at(when).date(),
                                           nominations=[s.get(Nomination, n) for n in items])
            members = [self.user(s, m).id for m in voters if m not in absent]
            ballots.record_attendance(s, self.user(s, secretariat), sitting, members)
            for member in voters:
                user = self.user(s, member)
                answers = {n.id: choice(member, n.id) for n in ballots.ballot_items(s, user, sitting)}
                ballots.cast_ballot(s, self.catalogue, user, sitting, answers,
                                    recorded_by=self.user(s, secretariat) if member in absent else None)
            return sitting.id

    def close(self, session_id: int, when: float, secretariat: str = "thuongtruc.tb") -> None:
        with self.writes.begin() as s:
            ballots.close_session(s, self.catalogue, self.user(s, secretariat), s.get(CouncilSession, session_id),
                                  now=self.at(when))

    def draft_decision(self, secretariat: str, council: str, items: list[int], title: str, when: float) -> int:
        with self.writes.begin() as s:
            council_row = s.scalar(select(Council).where(Council.code == council))
            period = s.scalar(select(Period).where(Period.code == "2026")).id
            decision = decisions.draft_decision(s, self.engine, self.user(s, secretariat), council_row,
                                                period_id=period, title=title,
                                                nominations=[s.get(Nomination, n) for n in items], now=self.at(when))
            return decision.id

    def year_end_round(self, revocable: int) -> None:
        """Late November: fighters, certificates and flags in every step of their procedure."""
        fighters = self.submission("canbo.tccs", "tb-tccs", ["CSTDCS", "CSTD_BO"], "Tờ trình đề nghị danh hiệu "
                                   "Chiến sĩ thi đua năm 2026", 21)
        khanh = self.nominate("canbo.tccs", fighters, "CSTD_BO", 21, person="tb-khanh")
        thanh = self.nominate("canbo.tccs", fighters, "CSTDCS", 21, person="tb-thanh")
        merits = self.submission("canbo.tccs", "tb-tccs", ["GK_CN", "BK_CN"], "Tờ trình đề nghị khen thưởng "
                                 "Giấy khen, Bằng khen năm 2026", 22)
        self.nominate("canbo.tccs", merits, "GK_CN", 22, person="tb-ngoc", documents=False)  # still a draft
        waiting = self.nominate("canbo.tccs", merits, "GK_CN", 22, person="tb-son")
        appraised = self.nominate("canbo.tccs", merits, "BK_CN", 22, person="tb-hanh")
        supplement = self.nominate("canbo.tccs", merits, "BK_CN", 22, person="tb-anh")
        ineligible = self.nominate("canbo.tccs", merits, "GK_CN", 22, person="tb-phuong")
        withdrawn = self.nominate("canbo.tccs", merits, "BK_CN", 22, person="tb-tu")
        for n in (khanh, thanh, waiting, appraised, supplement, ineligible, withdrawn):
            self.act("canbo.tccs", n, "submit", 23)
        self.act("canbo.tccs", withdrawn, "withdraw", 23.5, comment="Đơn vị rút để đề nghị vào năm sau")
        for n in (khanh, thanh, appraised, supplement, ineligible):
            self.act("truongphong.tccs", n, "approve_unit", 24)
        self.act("thuongtruc.tb", supplement, "request_supplement", 25,
                 comment="Đề nghị bổ sung báo cáo thành tích có xác nhận của thủ trưởng đơn vị")
        self.act("thuongtruc.tb", ineligible, "declare_ineligible", 25,
                 inputs={"reasons": "Thành tích đã được ghi nhận bằng Giấy khen đợt sơ kết giữa năm"})
        for n in (khanh, thanh):
            self.act("thuongtruc.tb", n, "accept", 26, attachments=self.report(f"TĐ-CSTĐ-{n}"))
        # the fighters' session is open: four members have voted, the chair has not yet
        self.council_session("Phiên họp xét danh hiệu Chiến sĩ thi đua năm 2026", [khanh, thanh], 27,
                             voters=["uyvien.tb", "uyvien2.tb", "uyvien3.tb", "uyvien4.tb"])
        del waiting, appraised  # left where they are: with the unit head, and in appraisal

        # the Personnel Department: one certificate voted down; one lapsed for want of supplements
        cb = self.submission("canbo.cb", "tb-cb", ["GK_CN"], "Tờ trình đề nghị tặng Giấy khen năm 2026 "
                             "(Phòng Cán bộ)", -10)
        rejected = self.nominate("canbo.cb", cb, "GK_CN", -10, person="tb-quang")
        lapsed = self.nominate("canbo.cb", cb, "GK_CN", -10, person="tb-thuy")
        for n in (rejected, lapsed):
            self.act("canbo.cb", n, "submit", 0)
            self.act("uyvien4.tb", n, "approve_unit", 1)
        self.act("thuongtruc.tb", rejected, "accept", 3, attachments=self.report(f"TĐ-GK-{rejected}"))
        self.act("thuongtruc.tb", lapsed, "request_supplement", 3, comment="Thiếu biên bản họp xét của đơn vị")
        session = self.council_session("Phiên họp xét Giấy khen (Phòng Cán bộ)", [rejected], 6,
                                       voters=["chutich.tb", "uyvien.tb", "uyvien2.tb", "uyvien3.tb"],
                                       choice=lambda member, n: "agree" if member == "uyvien3.tb" else "disagree")
        self.close(session, 6)
        self.act("thuongtruc.tb", rejected, "record_vote", 6.5)
        list(tick(self.writes, self.engine, self.at(25)))  # fifteen working days on: the supplement lapses

        # a correction is a new decision: the Personnel Department's list is revoked
        with self.writes.begin() as s:
            revocation = decisions.draft_revocation(
                s, self.engine, self.user(s, "thuongtruc.tb"), s.get(Decision, revocable), now=self.at(28),
                title="Quyết định thu hồi Quyết định công nhận danh hiệu Lao động tiên tiến năm 2026 (Phòng Cán bộ)").id
        self.decide([("thuongtruc.tb", "submit_for_signature"), ("chutich.tb", "sign"), ("vanthu.tb", "issue")],
                    revocation, 28.5)

        # the department's head is away from 20 November: his deputy has a late certificate to approve
        late = self.submission("canbo.cb", "tb-cb", ["GK_CN"], "Tờ trình bổ sung đề nghị tặng Giấy khen năm 2026 "
                               "(Phòng Cán bộ)", 35)
        self.act("canbo.cb", self.nominate("canbo.cb", late, "GK_CN", 35, person="tb-minh"), "submit", 36)

        # the Office's head, proposed for the Commission's certificate: posted publicly now
        office = self.submission("canbo.tb", "btc-tb", ["BK_TW"], "Tờ trình đề nghị tặng Bằng khen của Ban Tổ "
                                 "chức Trung ương năm 2026", 24)
        posted = self.nominate("canbo.tb", office, "BK_TW", 24, person="tb-hong")
        self.act("canbo.tb", posted, "submit", 25)
        self.act("chutich.tb", posted, "approve_unit", 26)
        self.act("thuongtruc.tw", posted, "accept", 37, attachments=self.report(f"TĐ-BK-{posted}"))
        with self.writes.begin() as s:
            s.add(PublicComment(nomination_id=posted, author="Một cán bộ Văn phòng", received_on=self.at(38).date(),
                                recorded_by=self.user(s, "thuongtruc.tw").id,
                                text="Đồng chí có nhiều đóng góp trong triển khai phần mềm Sổ tay đảng viên điện tử."))

        # the cluster's flag: Thái Bình (acclaimed) is forwarded and awaits the vote; Ninh Bình,
        # not acclaimed, waits in the cluster's review
        flag_sub = self.submission("canbo.tb", "btc-tb", ["CO_THI_DUA"], "Tờ trình đề nghị tặng Cờ thi đua "
                                   "của Ban Tổ chức Trung ương năm 2026", 31)
        flag = self.nominate("canbo.tb", flag_sub, "CO_THI_DUA", 31, unit="btc-tb")
        self.act("canbo.tb", flag, "submit", 31.5)
        self.act("chutich.tb", flag, "approve_unit", 32)
        self.act("cumtruong.nb", flag, "forward", 33, attachments={"cluster_minutes": "BB-cum2-2026"})
        self.act("thuongtruc.tw", flag, "accept", 35, attachments=self.report(f"TĐ-CTĐ-{flag}"))
        nb_sub = self.submission("canbo.nb", "btc-nb", ["CO_THI_DUA"], "Tờ trình đề nghị tặng Cờ thi đua "
                                 "của Ban Tổ chức Trung ương năm 2026 (Ninh Bình)", 31)
        nb_flag = self.nominate("canbo.nb", nb_sub, "CO_THI_DUA", 31, unit="btc-nb")
        self.act("canbo.nb", nb_flag, "submit", 31.5)
        self.act("cumtruong.nb", nb_flag, "approve_unit", 32)

        # the departments as collectives: approved, in a decision awaiting the chair's signature
        collective = self.submission("canbo.tb", "btc-tb", ["TTLDTT"], "Tờ trình đề nghị công nhận Tập thể lao "
                                     "động tiên tiến năm 2026", 29)
        teams = [self.nominate("canbo.tb", collective, "TTLDTT", 29, unit=u) for u in ("tb-tccs", "tb-cb")]
        for n in teams:
            self.act("canbo.tb", n, "submit", 29.5)
            self.act("chutich.tb", n, "approve_unit", 30)
            self.act("thuongtruc.tb", n, "accept", 31, attachments=self.report(f"TĐ-TT-{n}"))
        session = self.council_session("Phiên họp xét Tập thể lao động tiên tiến năm 2026", teams, 33,
                                       voters=["chutich.tb", "uyvien.tb", "uyvien2.tb", "uyvien3.tb", "uyvien4.tb"])
        self.close(session, 33)
        for n in teams:
            self.act("thuongtruc.tb", n, "record_vote", 33.5)
        to_sign = self.draft_decision("thuongtruc.tb", "hd-btc-tb", teams, "Quyết định công nhận danh hiệu "
                                      "Tập thể lao động tiên tiến năm 2026", 34)
        self.decide([("thuongtruc.tb", "submit_for_signature")], to_sign, 34.5)


def seed(writes: sessionmaker[Session], engine: Engine, domain: Domain, hash_password: Callable[[str], str],
         progress: Callable[[int], None] | None = None, *, season: bool = True) -> SeedSummary:
    """Imports the demo organisation and plays the season — or, with ``season=False``, only the
    cluster's conference (Thái Bình acclaimed), leaving the nominations for people to play (the
    browser's end-to-end test does). Refuses to run twice."""
    with writes() as s:
        if s.scalar(select(User).where(User.username == "canbo.tccs")) is not None:
            raise AlreadySeeded("Dữ liệu mẫu đã có trong cơ sở dữ liệu", "The demo data is already in the database")
    data, problems = read_organisation(DEMO_FILE)
    if data is None:
        raise DomainError("Tệp tổ chức mẫu có lỗi", "The demo organisation file has problems:\n"
                          + "\n".join(map(str, problems)))
    with writes.begin() as s:
        apply_organisation(s, data, catalogue=domain.catalogue, role_names=set(domain.definitions.vocabulary.roles),
                           hash_password=lambda _generated: "!", progress=progress)  # replaced just below
        password = hash_password(DEMO_PASSWORD)
        for user in s.scalars(select(User)):
            user.password_hash = password
    demo = _Demo(writes, engine, domain)
    demo.cluster_conference()
    if season:
        _personnel, revocable = demo.advanced_workers()
        demo.year_end_round(revocable)
    summary = SeedSummary()
    with writes() as s:
        period = s.scalar(select(Period).where(Period.code == "2026"))
        cluster_ids = list(s.scalars(select(Cluster.id)))
        for user in s.scalars(select(User).order_by(User.username)):
            roles = {a.role for a in s.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id))}
            roles |= {f"{r} (2026)" for r in roles_for(s, user.id, on=period.ends, cluster_ids=cluster_ids,
                                                        period_id=period.id) if r.startswith("cluster_")}
            summary.users.append((user.username, user.display_name, sorted(roles)))
        for (state,) in s.execute(select(WorkflowInstance.state).where(WorkflowInstance.workflow_id == "nomination")):
            summary.states[state] = summary.states.get(state, 0) + 1
    return summary
