"""A small organisation for the domain's tests, built straight into the test's database.

    Central commission (level central, council CC) ── cluster K: provinces P, P2, P3
      └ Province committee P (level province, council PC)
          ├ department D1 (10 people)
          └ department D2 (3 people)

Users (by key): officer_d1, head_d1, officer_d2, head_d2, officer_p, head_p (also chair and
member of PC), sec_p, clerk_p, members m1..m4 of PC, head_p2, head_p3, officer_p2, sec_c,
chair_c, members c1..c2 of CC, clerk_c, admin. Periods 2023–2026 (2026's window is open on
NOW). In 2026, P2 is cluster head and P3 its deputy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from workflow.domain.models import (AwardRecord, Body, Cluster, ClusterLeadership, ClusterMembership, Council,
                                    Initiative, Period, Person, RoleAssignment, User)

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)  # Friday 27 November 2026, 10:00 in Hà Nội
PDF = b"%PDF-1.7\n% test document\n" + b"0" * 200


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


def build_world(session) -> World:
    w = World()

    def add(key, obj):
        session.add(obj)
        session.flush()
        w.ids[key] = obj.id if hasattr(obj, "id") else None
        return obj

    add("C", Body(code="c", name="Ban Tổ chức Trung ương", level="central", place="Hà Nội", document_symbol="QĐ-BTCTW"))
    add("P", Body(code="p", name="Ban Tổ chức Tỉnh ủy Thái Bình", level="province", parent_id=w["C"],
                  place="Thái Bình", document_symbol="QĐ-BTCTU"))
    add("P2", Body(code="p2", name="Ban Tổ chức Tỉnh ủy Ninh Bình", level="province", parent_id=w["C"]))
    add("P3", Body(code="p3", name="Ban Tổ chức Tỉnh ủy Lạng Sơn", level="province", parent_id=w["C"]))
    add("D1", Body(code="d1", name="Phòng Tổ chức cơ sở đảng", level="unit", parent_id=w["P"]))
    add("D2", Body(code="d2", name="Phòng Cán bộ", level="unit", parent_id=w["P"]))
    add("CC", Council(code="cc", name="Hội đồng TĐKT Ban Tổ chức Trung ương", body_id=w["C"]))
    add("PC", Council(code="pc", name="Hội đồng TĐKT Ban Tổ chức Tỉnh ủy Thái Bình", body_id=w["P"]))
    add("K", Cluster(code="k", name="Cụm thi đua số 2", council_id=w["CC"]))
    for unit in ("P", "P2", "P3"):
        session.add(ClusterMembership(cluster_id=w["K"], body_id=w[unit]))
    for year in (2023, 2024, 2025, 2026):
        add(str(year), Period(code=str(year), name=f"Năm {year}", year=year, starts=date(year, 1, 1),
                              ends=date(year, 12, 31), submission_opens=date(year, 10, 15),
                              submission_closes=date(year, 12, 31)))
    session.add(ClusterLeadership(cluster_id=w["K"], period_id=w["2026"], head_body_id=w["P2"], deputy_body_id=w["P3"]))
    for i in range(1, 11):
        add(f"d1_{i}", Person(code=f"d1-{i}", full_name=f"Nguyễn Văn Mười {i}", position="Chuyên viên", body_id=w["D1"]))
    for i in range(1, 4):
        add(f"d2_{i}", Person(code=f"d2-{i}", full_name=f"Trần Thị Hai {i}", position="Chuyên viên", body_id=w["D2"]))
    for key in ("p_head", "p2_head", "p3_head"):
        add(key, Person(code=key, full_name=f"Lãnh đạo {key}", position="Trưởng ban",
                        body_id=w[key.split("_")[0].upper()]))
    users = {
        "officer_d1": [("unit_officer", "body", "D1")], "head_d1": [("unit_head", "body", "D1")],
        "officer_d2": [("unit_officer", "body", "D2")], "head_d2": [("unit_head", "body", "D2")],
        "officer_p": [("unit_officer", "body", "P")],
        "head_p": [("unit_head", "body", "P"), ("chair", "council", "PC"), ("council_member", "council", "PC")],
        "sec_p": [("secretariat", "council", "PC")], "clerk_p": [("clerk", "council", "PC")],
        "m1": [("council_member", "council", "PC")], "m2": [("council_member", "council", "PC")],
        "m3": [("council_member", "council", "PC")], "m4": [("council_member", "council", "PC")],
        "head_p2": [("unit_head", "body", "P2")], "head_p3": [("unit_head", "body", "P3")],
        "officer_p2": [("unit_officer", "body", "P2")],
        "sec_c": [("secretariat", "council", "CC")],
        "chair_c": [("chair", "council", "CC"), ("council_member", "council", "CC")],
        "c1": [("council_member", "council", "CC")], "c2": [("council_member", "council", "CC")],
        "clerk_c": [("clerk", "council", "CC")], "admin": [("admin", "global", None)],
    }
    persons = {"head_p": "p_head", "head_p2": "p2_head", "head_p3": "p3_head", "m4": "d1_10"}
    for username, roles in users.items():
        user = add(username, User(username=username, display_name=username.replace("_", " ").title(),
                                  password_hash="!", person_id=w.ids.get(persons.get(username))))
        for role, scope_kind, scope in roles:
            session.add(RoleAssignment(user_id=user.id, role=role, scope_kind=scope_kind,
                                       scope_id=w[scope] if scope else None))
    session.flush()
    return w


def give(session, world: World, award: str, year: int, *, people=(), units=()) -> None:
    """Award history: ``award`` held in ``year`` by people and units (keys of ``world``)."""
    for key in people:
        session.add(AwardRecord(award_code=award, period_id=world[str(year)], person_id=world[key],
                                awarded_on=date(year, 12, 20)))
    for key in units:
        session.add(AwardRecord(award_code=award, period_id=world[str(year)], body_id=world[key],
                                awarded_on=date(year, 12, 20)))
    session.flush()


def initiative(session, world: World, person: str, level: str, year: int = 2026) -> None:
    session.add(Initiative(person_id=world[person], period_id=world[str(year)], title="Sáng kiến cải tiến",
                           level=level, recognised_on=date(year, 9, 1)))
    session.flush()


def later(days: float) -> datetime:
    return NOW + timedelta(days=days)
