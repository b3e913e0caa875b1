"""Organisation import and export (``workflow/domain/orgio.py``, ``flask --app web org``).

The demo organisation imports whole and importing it again changes nothing; bad files — YAML,
XLSX and CSV — give every problem at once, at its line (or row and column); exports read back
into an empty database export the same again, in all three formats; the CLI; a large import.
"""

from __future__ import annotations

import csv
import re
import textwrap
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import yaml
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from conftest import PG_URL
from workflow.db import create_db_engine, create_schema, make_session_factory, postgres_scratch_schema
from workflow.domain.models import (AwardRecord, Body, Cluster, ClusterLeadership, ClusterMembership, Council,
                                    Delegation, Discipline, Initiative, Period, Person, RoleAssignment, User)
from workflow.domain.errors import DomainError
from workflow.domain.orgio import (ImportRefused, apply_organisation, check_organisation, export_organisation,
                                   read_organisation)
from workflow.loader import DEFAULT_ROOT

DEMO = DEFAULT_ROOT / "demo" / "organisation.yaml"
TABLES = (Body, Council, Cluster, ClusterMembership, Period, Person, User, RoleAssignment, Delegation,
          ClusterLeadership, AwardRecord, Initiative, Discipline)


def fast_hash(password: str) -> str:
    """Stands in for the web layer's slow, salted hash (so the tests stay fast)."""
    return f"test${password}"


def load(sessions, domain, path: Path, **kwargs):
    data, problems = read_organisation(path)
    assert data is not None and not problems, problems
    with sessions.begin() as session:
        summary = apply_organisation(session, data, catalogue=domain.catalogue,
                                     role_names=domain.definitions.vocabulary.roles, hash_password=fast_hash, **kwargs)
    return data, summary


def problems_of(sessions, domain, path: Path) -> list[str]:
    """Every problem of the file, read and checked, as 'path:line: message' without the folder."""
    data, problems = read_organisation(path)
    if data is not None:
        with sessions() as session:
            problems = problems + check_organisation(session, data, catalogue=domain.catalogue,
                                                     role_names=domain.definitions.vocabulary.roles)
    return [str(p).replace(f"{path.parent}/", "") for p in sorted(problems)]


def snapshot(sessions) -> dict[str, list[tuple]]:
    """Every row of the organisation's tables (to show that nothing changed)."""
    with sessions() as session:
        return {table.__tablename__: sorted((tuple(getattr(row, c.key) for c in table.__table__.columns)
                                             for row in session.scalars(select(table))), key=repr)
                for table in TABLES}


def count(sessions, table) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(table))


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def other_sessions(tmp_path):
    """A second, empty database (to import an export into)."""
    if PG_URL:
        with postgres_scratch_schema(PG_URL, "t2") as scratch:
            engine = create_db_engine(scratch.url)
            create_schema(engine)
            yield make_session_factory(engine, write=True, expire_on_commit=False)
            engine.dispose()
    else:
        engine = create_db_engine(f"sqlite:///{tmp_path / 'other.db'}")
        create_schema(engine)
        yield make_session_factory(engine, write=True, expire_on_commit=False)
        engine.dispose()


# --- the demo organisation --------------------------------------------------------------------

def test_demo_imports_every_section(write_sessions, domain):
    raw = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    calls: list[int] = []
    data, summary = load(write_sessions, domain, DEMO, progress=calls.append)

    history = raw["history"]
    expected = {
        Body: len(raw["bodies"]), Council: len(raw["councils"]), Cluster: len(raw["clusters"]),
        ClusterMembership: sum(len(c.get("members", [])) for c in raw["clusters"]),
        Period: len(raw["periods"]), Person: len(raw["people"]), User: len(raw["users"]),
        RoleAssignment: sum(len(u.get("roles", [])) for u in raw["users"]),
        Delegation: len(raw["delegations"]), ClusterLeadership: len(raw["leadership"]),
        AwardRecord: sum(len(a.get("people", [])) + len(a.get("units", [])) for a in history["awards"]),
        Initiative: len(history["initiatives"]), Discipline: len(history["discipline"]),
    }
    assert {t.__name__: count(write_sessions, t) for t in expected} == {t.__name__: n for t, n in expected.items()}
    assert all(n > 0 for n in expected.values())
    assert sum(calls) == data.size and len(calls) > 1
    assert summary.counts["bodies"]["created"] == len(raw["bodies"])
    assert summary.counts["awards"]["created"] == expected[AwardRecord]

    # the users the file gives no password get a random one each, stored hashed
    without = {u["username"] for u in raw["users"] if "password" not in u}
    assert set(summary.passwords) == without and "quantri" in without
    assert len(set(summary.passwords.values())) == len(without)
    with write_sessions() as s:
        def code(table, id_):
            return s.get(table, id_).code
        users = {u.username: u for u in s.scalars(select(User))}
        assert users["quantri"].password_hash == fast_hash(summary.passwords["quantri"])
        body = s.scalar(select(Body).where(Body.code == "btc-tb"))
        assert code(Body, body.parent_id) == "btctw" and body.short_name == "Ban Tổ chức Tỉnh ủy"
        assert body.search_name == "ban to chuc tinh uy thai binh"
        roles = {(a.role, a.scope_kind, code({"body": Body, "council": Council}[a.scope_kind], a.scope_id))
                 for a in s.scalars(select(RoleAssignment).where(RoleAssignment.user_id == users["chutich.tb"].id))}
        assert roles == {("unit_head", "body", "btc-tb"), ("chair", "council", "hd-btc-tb"),
                         ("council_member", "council", "hd-btc-tb")}
        admin = s.scalars(select(RoleAssignment).where(RoleAssignment.user_id == users["quantri"].id)).one()
        assert (admin.role, admin.scope_kind, admin.scope_id) == ("admin", "global", None)
        assert s.get(Person, users["chutich.tb"].person_id).full_name == "Phạm Văn Tuân"
        cluster = s.scalar(select(Cluster).where(Cluster.code == "cum-2"))
        assert code(Council, cluster.council_id) == "hd-btctw"
        period = s.scalar(select(Period).where(Period.code == "2026"))
        lead = s.get(ClusterLeadership, (cluster.id, period.id))
        assert (code(Body, lead.head_body_id), code(Body, lead.deputy_body_id)) == ("btc-nb", "btc-ls")
        delegation = s.scalars(select(Delegation)).one()
        assert (delegation.principal_id, delegation.deputy_id) == (users["uyvien4.tb"].id, users["uyvien2.tb"].id)
        flag = s.scalar(select(AwardRecord).where(AwardRecord.award_code == "CO_THI_DUA"))
        assert code(Body, flag.body_id) == "btc-tb" and flag.person_id is None
        assert flag.awarded_on == date(2025, 12, 31)  # the period's last day, as none is given
        discipline = s.scalars(select(Discipline)).one()
        assert (discipline.level, discipline.decided_on) == ("warning", date(2026, 6, 10))


def test_importing_the_demo_again_changes_nothing(write_sessions, domain):
    load(write_sessions, domain, DEMO)
    before = snapshot(write_sessions)
    data, again = load(write_sessions, domain, DEMO)
    assert snapshot(write_sessions) == before
    assert not again.changed and again.passwords == {}
    assert all(set(c) == {"unchanged"} for c in again.counts.values()), again.counts
    assert sum(c["unchanged"] for s, c in again.counts.items() if s != "memberships") == data.size


BASE = """\
    bodies:
      - {code: top, name: Ban Tổ chức Trung ương, level: central}
      - {code: prov, name: Ban Tổ chức Tỉnh ủy, level: province, parent: top}
      - {code: unit, name: Phòng Cán bộ, level: unit, parent: prov}
      - {code: prov2, name: Ban Tổ chức Tỉnh ủy Hai, level: province, parent: top}
    councils:
      - {code: hd, name: Hội đồng, body: top}
    clusters:
      - {code: k, name: Cụm 1, council: hd, members: [prov, prov2]}
    periods:
      - {code: "2026", name: Năm 2026, starts: 2026-01-01, ends: 2026-12-31, submission_opens: 2026-10-15, submission_closes: 2026-12-31}
    people:
      - {code: an, name: Nguyễn Văn An, position: Chuyên viên, unit: unit}
      - {code: binh, name: Trần Thị Bình, unit: prov}
    users:
      - {username: an, name: Nguyễn Văn An, person: an, password: correct-horse, roles: [{role: unit_officer, body: unit}, {role: council_member, council: hd}]}
      - {username: binh, name: Trần Thị Bình, person: binh, roles: [{role: unit_head, body: prov}]}
    leadership:
      - {cluster: k, period: "2026", head: prov, deputy: prov2}
    """


def test_a_changed_file_updates_by_natural_key(tmp_path, write_sessions, domain):
    _, first = load(write_sessions, domain, write(tmp_path / "org.yaml", BASE))
    assert set(first.passwords) == {"binh"}  # 'an' was given a password in the file
    changed = (BASE.replace("Phòng Cán bộ", "Phòng Cán bộ mới")
               .replace("[{role: unit_officer, body: unit}, {role: council_member, council: hd}]",
                        "[{role: council_member, council: hd}, {role: chair, council: hd}]")
               .replace(", roles: [{role: unit_head, body: prov}]", "")   # no roles given: binh keeps his
               .replace("password: correct-horse", "password: another-one")
               .replace("members: [prov, prov2]", "members: [prov]")
               .replace("deputy: prov2", "deputy: null"))
    _, second = load(write_sessions, domain, write(tmp_path / "changed.yaml", changed))
    assert second.counts["bodies"] == {"updated": 1, "unchanged": 3}
    assert second.counts["roles"] == {"unchanged": 1, "removed": 1, "created": 1}
    assert second.counts["memberships"] == {"unchanged": 1, "removed": 1}
    assert second.counts["leadership"] == {"updated": 1}
    assert second.counts["users"] == {"unchanged": 2} and second.passwords == {}
    with write_sessions() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        assert users["an"].password_hash == fast_hash("correct-horse")  # an existing user keeps the password
        roles = {name: sorted(s.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id)))
                 for name, user in users.items()}
        assert roles == {"an": ["chair", "council_member"], "binh": ["unit_head"]}
        assert s.scalar(select(Body.search_name).where(Body.code == "unit")) == "phong can bo moi"
        assert s.scalar(select(ClusterLeadership)).deputy_body_id is None


def test_tables_may_refer_to_what_the_database_holds(tmp_path, write_sessions, domain):
    load(write_sessions, domain, write(tmp_path / "org.yaml", BASE))
    people = tmp_path / "people.csv"
    people.write_text("code,name,unit\ncuong,Lê Văn Cường,unit\n", encoding="utf-8")
    roles = tmp_path / "roles.csv"
    roles.write_text("username,role,council\nbinh,secretariat,hd\nbinh,clerk,hd\n", encoding="utf-8")
    _, summary = load(write_sessions, domain, people)
    assert summary.counts["people"] == {"created": 1}
    _, summary = load(write_sessions, domain, roles)  # replaces binh's roles; an's are not touched
    assert summary.counts["roles"] == {"created": 2, "removed": 1}
    with write_sessions() as s:
        binh = s.scalar(select(User).where(User.username == "binh"))
        assert sorted(a.role for a in s.scalars(select(RoleAssignment).where(RoleAssignment.user_id == binh.id))) \
            == ["clerk", "secretariat"]
        assert s.scalar(select(func.count()).select_from(RoleAssignment)) == 4


def test_a_refused_import_writes_nothing(tmp_path, write_sessions, domain):
    bad = write(tmp_path / "org.yaml", BASE.replace("level: unit", "level: unt"))
    data, problems = read_organisation(bad)
    assert data is not None and problems == []
    with pytest.raises(ImportRefused) as refused, write_sessions.begin() as session:
        apply_organisation(session, data, catalogue=domain.catalogue, role_names=domain.definitions.vocabulary.roles,
                           hash_password=fast_hash)
    assert [str(p).replace(f"{tmp_path}/", "") for p in refused.value.problems] == [
        "org.yaml:4: bodies[2].level: unknown level 'unt' (did you mean 'unit'?)"]
    assert "nothing was imported" in refused.value.en
    assert all(count(write_sessions, t) == 0 for t in TABLES)


# --- bad files: YAML --------------------------------------------------------------------------

YAML_CASES = {
    "syntax": ("""\
        bodies:
          - {code: top, name: Top, level: central
        councils: []
        """, ["org.yaml:3: YAML syntax error: while parsing a flow mapping (started on line 2) "
              "did not find expected ',' or '}'"]),
    "not a mapping": ("""\
        - {code: top, name: Top, level: central}
        """, ["org.yaml:1: the file must be a mapping of sections (bodies, councils, people, …), not a list"]),
    "shape": ("""\
        versio: 1
        bodies:
          - {code: top, name: Top, level: central, nmae: Typo}
          - {code: "two words", name: Spaces, level: unit}
          - {code: nameless, level: unit}
        clusters:
          - {code: k, name: K, council: hd, kind: clutser}
        periods:
          - {code: "2026", name: Năm 2026, starts: 2026-01-01, ends: 2025-12-31, submission_opens: 2026-10-15, submission_closes: 2026-12-31}
          - {code: "2027", name: Năm 2027, starts: 2027-02-30, ends: 2027-12-31, submission_opens: 2027-10-15, submission_closes: 2027-12-31}
          - {code: 2028, name: Năm 2028, starts: "2028-01-01", ends: 2028-12-31, submission_opens: 2028-10-15, submission_closes: 31/12/2028}
        users:
          - {username: an, name: An, email: an-at-example, password: short, active: "yes"}
          - {username: binh, name: Bình, roles: admin}
        history:
          awards:
            - {award: LDTT, period: "2026"}
        """, [
        "org.yaml:1: unknown key 'versio' (did you mean 'version'?)",
        "org.yaml:3: unknown key 'nmae' in bodies[0] (did you mean 'name'?)",
        "org.yaml:4: bodies[1].code: 'two words' is not a code: use letters, digits, '-', '_' or '.', "
        "starting with a letter or digit, without spaces",
        "org.yaml:5: missing required key 'name' in bodies[2]",
        "org.yaml:7: clusters[0].kind: must be one of 'cluster' or 'block'",
        "org.yaml:9: periods[0]: 'ends' (2025-12-31) is before 'starts' (2026-01-01)",
        "org.yaml:10: invalid value '2027-02-30': day is out of range for month",
        "org.yaml:11: periods[2].submission_closes: must be a date written as YYYY-MM-DD, got '31/12/2028'",
        "org.yaml:13: users[0].active: must be true or false, got 'yes'",
        "org.yaml:13: users[0].email: 'an-at-example' is not an email address",
        'org.yaml:13: users[0].password: a password must have at least 8 characters',
        "org.yaml:14: users[1].roles: must be a list, got 'admin'",
        "org.yaml:17: history.awards[0]: list the holders under 'people' (individuals) or 'units' "
        "(collectives): one of the two",
    ]),
    "references": ("""\
        bodies:
          - {code: top, name: Top, level: central}
          - {code: prov, name: Province, level: province, parent: tpo}
        councils:
          - {code: hd, name: Council, body: top}
        clusters:
          - {code: k, name: K, council: hdd, members: [prov, elsewhere]}
        periods:
          - {code: "2026", name: Năm 2026, starts: 2026-01-01, ends: 2026-12-31, submission_opens: 2026-10-15, submission_closes: 2026-12-31}
        people:
          - {code: an, name: An, unit: prov}
          - {code: binh, name: Bình, unit: provv}
        users:
          - {username: an, name: An, person: ann}
        delegations:
          - {principal: an, deputy: nobody, starts: 2026-01-01, ends: 2026-02-01}
        leadership:
          - {cluster: k, period: "2026", head: top, deputy: prov}
          - {cluster: kk, period: "2025", head: prov}
        history:
          awards:
            - {award: LDTT, period: "2026", people: [an, chi]}
          initiatives:
            - {person: an, period: "2020", level: unit, recognised_on: 2026-05-01, title: Sáng kiến}
        """, [
        "org.yaml:3: bodies[1].parent: unknown body 'tpo' (did you mean 'top'?)",
        "org.yaml:7: clusters[0].council: unknown council 'hdd' (did you mean 'hd'?)",
        "org.yaml:7: clusters[0].members[1]: unknown body 'elsewhere' (known: prov, top)",
        "org.yaml:12: people[1].unit: unknown body 'provv' (did you mean 'prov'?)",
        "org.yaml:14: users[0].person: unknown person 'ann' (did you mean 'an'?)",
        "org.yaml:16: delegations[0].deputy: unknown user 'nobody' (known: an)",
        "org.yaml:18: leadership[0].head: body 'top' is not a member of cluster 'k'",
        "org.yaml:19: leadership[1].cluster: unknown cluster 'kk' (did you mean 'k'?)",
        "org.yaml:19: leadership[1].period: unknown period '2025' (did you mean '2026'?)",
        "org.yaml:22: history.awards[0].people[1]: unknown person 'chi' (known: an, binh)",
        "org.yaml:24: history.initiatives[0].period: unknown period '2020' (did you mean '2026'?)",
    ]),
    "catalogue": ("""\
        bodies:
          - {code: top, name: Top, level: centrl}
          - {code: unit, name: Unit, level: unit, parent: top}
        periods:
          - {code: "2026", name: Năm 2026, starts: 2026-01-01, ends: 2026-12-31, submission_opens: 2026-10-15, submission_closes: 2026-12-31}
        people:
          - {code: an, name: An, unit: unit}
        history:
          awards:
            - {award: LDTTT, period: "2026", people: [an]}
            - {award: TTLDTT, period: "2026", people: [an]}
            - {award: LDTT, period: "2026", units: [unit]}
          initiatives:
            - {person: an, period: "2026", level: provnce, recognised_on: 2026-05-01, title: Sáng kiến}
          discipline:
            - {person: an, period: "2026", level: warn, decided_on: 2026-06-10}
        """, [
        "org.yaml:2: bodies[0].level: unknown level 'centrl' (did you mean 'central'?)",
        "org.yaml:10: history.awards[0].award: unknown award 'LDTTT' (did you mean 'LDTT'?)",
        "org.yaml:11: history.awards[1].people: award 'TTLDTT' is given to collectives: list the units under 'units'",
        "org.yaml:12: history.awards[2].units: award 'LDTT' is given to individuals: list them under 'people'",
        "org.yaml:14: history.initiatives[0].level: unknown level 'provnce' (did you mean 'province'?)",
        "org.yaml:16: history.discipline[0].level: unknown discipline level 'warn' (did you mean 'warning'?)",
    ]),
    "roles": ("""\
        bodies:
          - {code: top, name: Top, level: central}
        councils:
          - {code: hd, name: Council, body: top}
        clusters:
          - {code: k, name: K, council: hd}
        users:
          - username: an
            name: An
            roles:
              - {role: unit_head}
              - {role: chair, body: top}
              - {role: secretariat, body: top, council: hd}
              - {role: admin, council: hd}
              - {role: cluster_head, council: hd}
              - {role: unit_oficer, body: top}
              - {role: system}
              - {role: clerk, council: hd, valid_from: 2026-02-01, valid_to: 2026-01-01}
        roles:
          - {username: an, role: admin}
          - {username: ghost, role: admin}
        """, [
        "org.yaml:11: users[0].roles[0].role: role 'unit_head' is held in a body: give its 'body'",
        "org.yaml:12: users[0].roles[1].role: role 'chair' is held in a council: give 'council', not 'body'",
        "org.yaml:13: users[0].roles[2].role: role 'secretariat' is held in a council: give 'council', not 'body'",
        "org.yaml:14: users[0].roles[3].role: role 'admin' is held everywhere: leave out 'council'",
        "org.yaml:15: users[0].roles[4].role: role 'cluster_head' is held in a cluster: give 'cluster', not 'council'",
        "org.yaml:16: users[0].roles[5].role: unknown role 'unit_oficer' (did you mean 'unit_officer'?)",
        "org.yaml:17: users[0].roles[6].role: role 'system' is the scheduler's own; it cannot be given to a user",
        "org.yaml:18: users[0].roles[7]: 'valid_to' (2026-01-01) is before 'valid_from' (2026-02-01)",
        "org.yaml:21: roles[1].username: unknown user 'ghost' (known: an)",
    ]),
    "duplicates and cycles": ("""\
        bodies:
          - {code: top, name: Top, level: central}
          - {code: a, name: A, level: province, parent: b}
          - {code: b, name: B, level: province, parent: a}
          - {code: self, name: Self, level: unit, parent: self}
          - {code: top, name: Top again, level: central}
        councils:
          - {code: hd, name: Council, body: top}
          - {code: hd2, name: Council 2, body: top}
        clusters:
          - {code: k, name: K, council: hd, members: [a, b, a]}
        periods:
          - {code: "2026", name: Năm 2026, starts: 2026-01-01, ends: 2026-12-31, submission_opens: 2026-10-15, submission_closes: 2026-12-31}
        people:
          - {code: an, name: An, unit: a}
        users:
          - {username: an, name: An}
          - {username: an, name: An again}
        leadership:
          - {cluster: k, period: "2026", head: a}
          - {cluster: k, period: "2026", head: b}
        history:
          awards:
            - {award: LDTT, period: "2026", people: [an]}
            - {award: LDTT, period: "2026", people: [an]}
        """, [
        "org.yaml:3: bodies[1].parent: body 'a' would be its own ancestor: a → b → a",
        "org.yaml:5: bodies[3].parent: body 'self' would be its own ancestor: self → self",
        "org.yaml:6: bodies[4].code: code 'top' appears twice (first on line 2)",
        "org.yaml:9: councils[1].body: body 'top' already has the council 'hd' in this file; a body has one council",
        "org.yaml:11: clusters[0].members[2]: body 'a' is listed twice",
        "org.yaml:18: users[1].username: user name 'an' appears twice (first on line 17)",
        "org.yaml:21: leadership[1].period: cluster 'k' has its leadership for period '2026' given twice "
        "(first on line 20)",
        "org.yaml:25: history.awards[1].people[0]: 'an' already holds 'LDTT' for period '2026' in this file "
        "(on line 24)",
    ]),
    "control characters": ("""
        bodies:
          - {code: a, name: "Phòng\\0 Cán bộ", level: unit}
          - {code: b, name: "Phòng\\vCán bộ", level: unit}
        """, [
        "org.yaml:2: bodies[0].name: holds a control character (U+0000): remove it",
        "org.yaml:3: bodies[1].name: holds a control character (U+000B): remove it",
    ]),
}


@pytest.mark.parametrize("text, expected", list(YAML_CASES.values()), ids=list(YAML_CASES))
def test_yaml_problems_are_located(tmp_path, sessions, domain, text, expected):
    assert problems_of(sessions, domain, write(tmp_path / "org.yaml", text)) == expected


def test_the_database_is_checked_too(tmp_path, write_sessions, domain):
    load(write_sessions, domain, write(tmp_path / "org.yaml", BASE))
    more = write(tmp_path / "more.yaml", """\
        councils:
          - {code: hd-2, name: Hội đồng 2, body: top}
        leadership:
          - {cluster: k, period: "2026", head: unit}
        bodies:
          - {code: top, name: Ban Tổ chức Trung ương, level: central, parent: unit}
        """)
    assert problems_of(write_sessions, domain, more) == [
        "more.yaml:2: councils[0].body: body 'top' already has the council 'hd' in the database; "
        "a body has one council",
        "more.yaml:4: leadership[0].head: body 'unit' is not a member of cluster 'k'",
        "more.yaml:6: bodies[0].parent: body 'top' would be its own ancestor: top → unit → prov → top",
    ]


# --- bad files: tables ------------------------------------------------------------------------

def test_workbook_problems_name_the_sheet_row_and_column(tmp_path, sessions, domain):
    workbook = openpyxl.Workbook()
    sheets = {
        "bodies": [["code", "name", "level", "parent", "levle"],
                   ["top", "Top", "central"],
                   ["prov", "Province", "provnce", "top"],
                   [],
                   ["unit", None, "unit", "prov"],
                   ["unit2", "Unit 2", "unit", "prv"],
                   ["top", "Top again", "central"]],
        "councils": [["code", "name", "body"], ["hd", "Council", "top"]],
        "Periods": [["code", "name", "year", "starts", "ends", "submission_opens", "submission_closes"],
                    [2026, "Năm 2026", 2026, datetime(2026, 1, 1), date(2026, 12, 31), "2026-10-15", "2026-12-31"],
                    ["2027", "Năm 2027", "abc", "2027-02-30", "31/12/2027", "2027-10-15", "2027-12-31"]],
        "peple": [["code", "name", "unit"]],
        "_notes": [["Sheets whose name starts with '_' are for people"]],
        "users": [["username", "name", "active", "roles"], ["an", "An", "maybe"], ["binh", "Bình", "yes", "x"]],
        "roles": [["username", "role", "body", "council"],
                  ["binh", "chair", "prov"], ["ghost", "unit_head", "prov"], ["binh", "unit_head", "prov"]],
        "clusters": [["code", "name", "council", "members"], ["k", "K", "hd", "prov; top, nowhere"]],
        "awards": [["award", "period", "people", "units"],
                   ["TTLDTT", 2026, None, "prov; unit2"], ["LDTT", "2026", "an"]],
    }
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(tmp_path / "org.xlsx")
    assert problems_of(sessions, domain, tmp_path / "org.xlsx") == [
        "org.xlsx:0: sheet 'peple': unknown section (did you mean 'people'?); name each sheet after its section, "
        "or start its name with '_' to have it ignored",
        "org.xlsx[Periods]:3: column C 'year': must be a whole number, got 'abc'",
        "org.xlsx[Periods]:3: column D 'starts': '2027-02-30' is not a day of the calendar",
        "org.xlsx[Periods]:3: column E 'ends': must be a date written as YYYY-MM-DD, got '31/12/2027'",
        "org.xlsx[awards]:3: column C 'people': unknown person 'an' (none are defined)",
        "org.xlsx[bodies]:1: column E 'levle': unknown column (did you mean 'level'?)",
        "org.xlsx[bodies]:3: column C 'level': unknown level 'provnce' (did you mean 'province'?)",
        "org.xlsx[bodies]:5: column B 'name': missing value (required)",
        "org.xlsx[bodies]:6: column D 'parent': unknown body 'prv' (did you mean 'prov'?)",
        "org.xlsx[bodies]:7: column A 'code': code 'top' appears twice (first on row 2)",
        "org.xlsx[clusters]:2: column D 'members': unknown body 'nowhere' (known: prov, top, unit, unit2)",
        "org.xlsx[roles]:2: column B 'role': role 'chair' is held in a council: give 'council', not 'body'",
        "org.xlsx[roles]:3: column A 'username': unknown user 'ghost' (known: an, binh)",
        "org.xlsx[users]:1: column D 'roles': unknown column (a user's roles go in the sheet 'roles', "
        "one row per role)",
        "org.xlsx[users]:2: column C 'active': must be true or false (or yes/no), got 'maybe'",
    ]


def test_csv_problems_name_the_file_row_and_column(tmp_path, sessions, domain):
    folder = tmp_path / "org"
    folder.mkdir()
    # as Excel saves it where the decimal mark is a comma: ';' between cells, a BOM, CRLF
    (folder / "people.csv").write_bytes("\ufeffcode;name;unit;;position\r\n"
                                        "an;\"Nguyễn Văn An\";prov;;\r\n"
                                        "binh;;prov;oops;\r\n"
                                        "\r\n"
                                        "an;Lê Văn An;prov;;Chuyên viên\r\n".encode("utf-8"))
    (folder / "bodies.csv").write_text("code,name,level\nprov,Province,province\ntop,Top,centrl\n", encoding="utf-8")
    (folder / "clustrs.csv").write_text("code,name\nk,K\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a CSV file: ignored", encoding="utf-8")
    assert problems_of(sessions, domain, folder) == [
        "org/bodies.csv:3: column C 'level': unknown level 'centrl' (did you mean 'central'?)",
        "org/clustrs.csv:0: unknown section 'clustrs' (did you mean 'clusters'?); name each CSV file after its "
        "section: people.csv, …",
        "org/people.csv:3: column B 'name': missing value (required)",
        "org/people.csv:3: column D has values but no name in the header row",
        "org/people.csv:5: column A 'code': code 'an' appears twice (first on row 2)",
    ]
    assert problems_of(sessions, domain, folder / "people.csv") == [  # one section: 'prov' is not known
        "people.csv:2: column C 'unit': unknown body 'prov' (none are defined)",
        "people.csv:3: column B 'name': missing value (required)",
        "people.csv:3: column D has values but no name in the header row",
        "people.csv:5: column A 'code': code 'an' appears twice (first on row 2)",
        "people.csv:5: column C 'unit': unknown body 'prov' (none are defined)",
    ]


@pytest.mark.parametrize("name, content, expected", [
    ("missing.yaml", None, "missing.yaml:0: no such file or folder"),
    ("org.txt", "bodies: []", "org.txt:0: unknown kind of file: give a .yaml, .xlsx or .csv file, "
                              "or a folder of .csv files"),
    ("org.xlsx", b"PK\x03\x04 not really a workbook", "org.xlsx:0: cannot read the workbook"),
    ("people.csv", b"code,name,unit\nan,Nguy\xe1n,prov\n", "people.csv:2: the file is not UTF-8 text"),
    ("org.yaml", "", "org.yaml:1: the file is empty"),
    ("empty", "folder", "empty:0: the folder holds no .csv files"),
])
def test_unreadable_files_are_problems_not_crashes(tmp_path, name, content, expected):
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    data, problems = read_organisation(path)
    assert data is None or data.size == 0
    assert len(problems) == 1 and str(problems[0]).replace(f"{tmp_path}/", "").startswith(expected), problems


# --- export -------------------------------------------------------------------------------------

def contents(path: Path):
    """What an export holds: the YAML text, each CSV file's text, or each sheet's cell values."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}
        finally:
            workbook.close()
    if path.is_dir():
        return {f.name: f.read_text(encoding="utf-8-sig") for f in sorted(path.iterdir())}
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["org.yaml", "org.xlsx", "org"], ids=["yaml", "xlsx", "csv"])
def test_an_export_imported_into_an_empty_database_exports_the_same(name, tmp_path, write_sessions, other_sessions,
                                                                      domain):
    load(write_sessions, domain, DEMO)
    first, second = tmp_path / "first" / name, tmp_path / "second" / name
    with write_sessions() as s:
        counts = export_organisation(s, first)
    assert counts["people"] == count(write_sessions, Person)
    assert counts["roles"] == count(write_sessions, RoleAssignment)
    _, summary = load(other_sessions, domain, first)
    assert summary.counts["awards"]["created"] == count(write_sessions, AwardRecord)
    with other_sessions() as s:
        export_organisation(s, second)
    assert contents(second) == contents(first)
    assert "password" not in repr(contents(first))

    before = snapshot(write_sessions)  # and read back where it came from, it changes nothing
    _, again = load(write_sessions, domain, first)
    assert not again.changed and snapshot(write_sessions) == before


def test_export_refuses_a_single_csv_file(tmp_path, sessions):
    with sessions() as s, pytest.raises(DomainError, match="a single CSV file holds one section"):
        export_organisation(s, tmp_path / "org.csv")


# --- the command line ---------------------------------------------------------------------------

def test_cli_imports_with_a_progress_bar_and_prints_new_passwords(cli, app, tmp_path):
    assert cli("db", "init").exit_code == 0
    sessions = app.extensions["laurel"].sessions
    org = write(tmp_path / "org.yaml", BASE)

    dry = cli("org", "import", str(org), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing written" in dry.output and "  bodies: 4 created" in dry.output
    assert "Passwords" not in dry.output and count(sessions, User) == 0

    result = cli("org", "import", str(org))
    assert result.exit_code == 0, result.output
    assert "Importing" in result.output  # the progress bar's label (the bar itself needs a terminal)
    assert "  users: 2 created" in result.output and "  memberships: 2 created" in result.output
    printed = re.findall(r"^  (\S+)\s+(\S+)$", result.output.split("Passwords", 1)[1], re.M)
    assert [username for username, _ in printed] == ["binh"]  # 'an' was given one in the file
    with sessions() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        assert check_password_hash(users["binh"].password_hash, printed[0][1])
        assert check_password_hash(users["an"].password_hash, "correct-horse")

    again = cli("org", "import", str(org))
    assert again.exit_code == 0 and "Nothing changed" in again.output and "Passwords" not in again.output

    bad = write(tmp_path / "bad.yaml", BASE.replace("level: unit", "level: unt"))
    refused = cli("org", "import", str(bad))
    assert refused.exit_code == 1
    assert f"{bad}:4: bodies[2].level: unknown level 'unt' (did you mean 'unit'?)" in refused.output
    assert "1 problem; nothing was imported." in refused.output and "Importing" not in refused.output
    missing = cli("org", "import", str(tmp_path / "nowhere.xlsx"))
    assert missing.exit_code == 1 and "nowhere.xlsx:0: no such file or folder" in missing.output

    exported = cli("org", "export", str(tmp_path / "out.xlsx"))
    assert exported.exit_code == 0 and "4 bodies" in exported.output
    assert read_organisation(tmp_path / "out.xlsx")[1] == []
    wrong = cli("org", "export", str(tmp_path / "out.csv"))
    assert wrong.exit_code == 1 and "a single CSV file holds one section" in wrong.output


# --- a large import -----------------------------------------------------------------------------

def test_a_large_table_imports_with_progress(tmp_path, write_sessions, domain):
    folder = tmp_path / "big"
    folder.mkdir()

    def table(name: str, header: list[str], rows) -> None:
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)

    table("bodies", ["code", "name", "level", "parent"],
          [["top", "Ban Tổ chức Tỉnh ủy", "province", ""]]
          + [[f"d{i}", f"Phòng {i}", "unit", "top"] for i in range(20)])
    table("periods", ["code", "name", "starts", "ends", "submission_opens", "submission_closes"],
          [["2025", "Năm 2025", "2025-01-01", "2025-12-31", "2025-11-01", "2025-12-31"]])
    people = [f"person-{i:05d}" for i in range(3000)]
    table("people", ["code", "name", "position", "unit"],
          [[code, f"Nguyễn Văn {i}", "Chuyên viên", f"d{i % 20}"] for i, code in enumerate(people)])
    table("awards", ["award", "period", "people"], [["LDTT", "2025", "; ".join(people)]])

    calls: list[int] = []
    data, summary = load(write_sessions, domain, folder, progress=calls.append)
    assert summary.counts["people"] == {"created": 3000} and summary.counts["awards"] == {"created": 3000}
    assert count(write_sessions, Person) == 3000 and count(write_sessions, AwardRecord) == 3000
    assert sum(calls) == data.size == 21 + 1 + 3000 + 3000 and len(calls) >= 60

    with write_sessions() as s:  # 3,000 holders do not fit one spreadsheet cell: the export splits the row
        export_organisation(s, tmp_path / "export")
    assert len((tmp_path / "export" / "awards.csv").read_text(encoding="utf-8-sig").splitlines()) == 3
    _, again = load(write_sessions, domain, tmp_path / "export")
    assert not again.changed and again.counts["people"] == {"unchanged": 3000}
