"""The administration's services: every refusal named at its field, roles in their scopes,
the catalogue in words, deployed workflows with their problems, the organisation as a file."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.domain import administration as admin
from workflow.domain.administration import Invalid
from workflow.domain.errors import DomainError
from workflow.domain.models import Body, Cluster, ClusterMembership, Period, RoleAssignment, User
from workflow.workdays import utcnow


def fields(raised) -> dict[str, list[str]]:
    return {name: [m.en for m in messages] for name, messages in raised.value.fields.items()}


@pytest.fixture
def s(world, write_sessions):
    with write_sessions() as session:
        yield session


def test_a_body_is_checked_field_by_field(s, world, domain):
    with pytest.raises(Invalid) as raised:
        admin.save_body(s, domain.catalogue, None, code="bad code", name=" ", level="galaxy", parent_id=99999)
    assert fields(raised) == {
        "code": ["Use letters without diacritics, digits, '-', '_' or '.', starting with a letter or digit, "
                 "without spaces"],
        "name": ["Required"], "level": ["Choose a level"], "parent_id": ["No such body"]}
    with pytest.raises(Invalid) as raised:
        admin.save_body(s, domain.catalogue, None, code="d1", name="Trùng mã", level="unit")
    assert fields(raised) == {"code": ["“d1” is already taken"]}


def test_a_body_cannot_move_below_itself(s, world, domain):
    province = s.get(Body, world["P"])
    with pytest.raises(Invalid) as raised:
        admin.save_body(s, domain.catalogue, province, code="p", name=province.name, level="province",
                        parent_id=world["D1"])
    assert "parent_id" in raised.value.fields
    moved = admin.save_body(s, domain.catalogue, s.get(Body, world["D2"]), code="d2", name="Phòng Cán bộ",
                            level="unit", parent_id=world["C"], place="Hà Nội")
    assert (moved.parent_id, moved.place, moved.search_name) == (world["C"], "Hà Nội", "phong can bo")


def test_one_council_per_body_and_cluster_leaders_stay_members(s, world):
    with pytest.raises(Invalid) as raised:
        admin.save_council(s, None, code="pc2", name="Hội đồng thứ hai", body_id=world["P"])
    assert fields(raised)["body_id"][0].startswith("This body already has")
    cluster = s.get(Cluster, world["K"])
    with pytest.raises(Invalid) as raised:  # P2 heads the cluster in 2026
        admin.save_cluster(s, cluster, code="k", name=cluster.name, kind="cluster", council_id=world["CC"],
                           member_ids=[world["P"], world["P3"]])
    assert fields(raised) == {"member_ids": ["Ban Tổ chức Tỉnh ủy Ninh Bình was elected the cluster's head or "
                                             "deputy: it must stay a member"]}
    admin.save_cluster(s, cluster, code="k", name="Cụm số 2", kind="block", council_id=world["CC"],
                       member_ids=[world["P2"], world["P3"], world["D1"]])
    members = set(s.scalars(select(ClusterMembership.body_id).where(ClusterMembership.cluster_id == world["K"])))
    assert members == {world["P2"], world["P3"], world["D1"]} and cluster.kind == "block"


def test_a_new_user_gets_a_random_password_once(s, world):
    user, password = admin.create_user(s, generate_password_hash, username="moi", display_name="Người Mới",
                                       email="moi@example.vn", person_id=world["d1_3"])
    assert len(password) == admin.PASSWORD_LENGTH and check_password_hash(user.password_hash, password)
    assert password not in user.password_hash
    with pytest.raises(Invalid) as raised:
        admin.create_user(s, generate_password_hash, username="moi", display_name="", email="x@",
                          person_id=world["d1_3"])
    assert fields(raised) == {"username": ["“moi” is already taken"], "display_name": ["Required"],
                              "email": ["“x@” is not an email address"], "person_id": ["Already linked to moi"]}
    again = admin.reset_password(s, user, generate_password_hash)
    assert again != password and check_password_hash(user.password_hash, again)


@pytest.mark.parametrize("role, scope_kind, scope, error", [
    ("unit_officer", None, None, "“Unit emulation officer” is held in a body (unit): choose a body (unit)"),
    ("unit_officer", "council", "PC", "“Unit emulation officer” is held in a body (unit): choose a body (unit)"),
    ("chair", "body", "P", "“Council chair” is held in a council: choose a council"),
    ("cluster_member", "body", "P", "“Cluster member” is held in a cluster: choose a cluster"),
    ("admin", "body", "P", "“Administrator” is held everywhere: choose no scope"),
])
def test_a_role_is_given_in_its_scope_only(s, world, definitions, role, scope_kind, scope, error):
    user = s.get(User, world["m1"])
    with pytest.raises(Invalid) as raised:
        admin.assign_role(s, definitions.vocabulary.roles, user, role=role, scope_kind=scope_kind,
                          scope_id=world[scope] if scope else None)
    assert fields(raised) == {"scope": [error]}


def test_roles_given_and_taken_but_never_the_last_administrator(s, world, definitions):
    roles = definitions.vocabulary.roles
    user = s.get(User, world["m1"])
    given = admin.assign_role(s, roles, user, role="clerk", scope_kind="council", scope_id=world["PC"],
                              valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))
    with pytest.raises(Invalid) as raised:
        admin.assign_role(s, roles, user, role="clerk", scope_kind="council", scope_id=world["PC"])
    assert fields(raised) == {"role": ["This user already holds this role here"]}
    other = admin.assign_role(s, roles, user, role="admin", scope_kind=None, scope_id=None)
    assert (other.scope_kind, other.scope_id) == ("global", None)
    admin.remove_role(s, given)
    admin.remove_role(s, other)
    last = s.scalar(select(RoleAssignment).where(RoleAssignment.role == "admin"))
    with pytest.raises(DomainError, match="last administrator"):
        admin.remove_role(s, last)
    with pytest.raises(DomainError, match="last administrator"):
        admin.set_active(s, s.get(User, world["admin"]), False, by=user)
    with pytest.raises(DomainError, match="your own account"):
        admin.set_active(s, user, False, by=user)


def test_a_delegation_needs_two_people_and_an_order(s, world):
    with pytest.raises(Invalid) as raised:
        admin.create_delegation(s, principal_id=world["m1"], deputy_id=world["m1"], starts=date(2026, 12, 2),
                                ends=date(2026, 12, 1))
    assert fields(raised) == {"deputy_id": ["The deputy must be someone else"], "ends": ["Ends before it starts"]}
    made = admin.create_delegation(s, principal_id=world["head_d1"], deputy_id=world["m1"], starts=date(2026, 12, 1),
                                   ends=date(2026, 12, 20), note="Đi công tác")
    admin.delete_delegation(s, made)


def test_a_period_and_its_submission_window(s, world):
    with pytest.raises(Invalid) as raised:
        admin.save_period(s, None, code="2027", name="Năm 2027", kind="year", year=None, starts=date(2027, 1, 1),
                          ends=date(2027, 12, 31), submission_opens=date(2027, 12, 1),
                          submission_closes=date(2027, 11, 1))
    assert fields(raised) == {"year": ["A yearly period needs its year"],
                              "submission_closes": ["The submission window closes before it opens"]}
    with pytest.raises(Invalid) as raised:
        admin.save_period(s, None, code="2026", name="x", kind="year", year=2027, starts=date(2026, 1, 1),
                          ends=None, submission_opens=None, submission_closes=None)
    assert fields(raised) == {"code": ["“2026” is already taken"], "ends": ["Give a date"],
                              "submission_opens": ["Give a date"], "submission_closes": ["Give a date"],
                              "starts": ["The 2027 period must start in 2027"]}
    made = admin.save_period(s, None, code="pt-2027", name="Phong trào 2027", kind="movement", year=None,
                             starts=date(2027, 3, 1), ends=date(2027, 9, 30), submission_opens=date(2027, 9, 1),
                             submission_closes=date(2027, 10, 15))
    assert s.scalar(select(Period).where(Period.code == "pt-2027")) is made


def test_users_are_found_without_diacritics(s, world):
    s.get(User, world["m1"]).display_name = "Nguyễn Thị Hường"
    assert [u.username for u in admin.find_users(s, "nguyen thi huong")] == ["m1"]
    assert [u.username for u in admin.find_users(s, "HEAD_D")] == ["head_d1", "head_d2"]


def test_the_catalogue_in_words(domain):
    catalogue = domain.catalogue
    fighter = catalogue.award("CSTDCS")
    words = [admin.describe_prerequisite(p, catalogue).en for p in fighter.prerequisites]
    assert words == ["Holds “Advanced Worker” in the same period", "An initiative recognised at unit level or above",
                     "No discipline of “Reprimand” or more severe"]
    assert admin.describe_quota(fighter.quota, catalogue).vi == "Tối đa 15% số người đạt “Lao động tiên tiến”, mỗi đơn vị"
    assert admin.describe_vote(catalogue.award("CSTD_BO").vote).en == \
        "Quorum 66.7% of members; at least 90% of all members agree; secret ballot"
    excellent = [admin.describe_prerequisite(p, catalogue).en for p in catalogue.award("TTLDXS").prerequisites]
    assert "At least 70% of the members hold “Advanced Worker”" in excellent
    assert "At least 1 of the members hold “Base-level Emulation Fighter”" in excellent


def test_deployed_workflows_with_their_problems(engine, domain, sessions):
    with sessions() as session:
        deployed, undeployed = admin.deployed_workflows(session, domain)
    assert undeployed == []
    assert {(w.workflow_id, w.version) for w in deployed} == {(w.id, w.version)
                                                              for w in domain.definitions.workflows.values()}
    assert all(w.ok and w.current and w.in_folder for w in deployed)


def test_a_broken_deployed_version_shows_its_problems(engine, domain, sessions):
    from workflow.models import WorkflowDefinition
    with sessions.begin() as session:
        row = session.get(WorkflowDefinition, ("sample", domain.definitions.workflows["sample"].version))
        session.add(WorkflowDefinition(workflow_id="sample", version=99, hash="x" * 64, current=False,
                                       source=row.source.replace("version: 1", "version: 99")
                                       .replace("roles: [unit_officer]", "roles: [no_such_role]", 1),
                                       path=row.path, deployed_at=utcnow()))
    with sessions() as session:
        broken = next(w for w in admin.deployed_workflows(session, domain)[0] if w.version == 99)
    assert not broken.ok and not broken.in_folder
    assert any("no_such_role" in p.message and p.line > 0 for p in broken.problems)


def test_an_uploaded_file_is_checked_and_applied(s, world, domain, definitions):
    roles = set(definitions.vocabulary.roles)
    bad = b"bodies:\n  - {code: moi, name: Moi, level: unit, parent: khong-co}\n"
    outcome = admin.import_organisation(s, bad, "../../sua doi.yaml", catalogue=domain.catalogue, role_names=roles,
                                        hash_password=generate_password_hash)
    assert not outcome.ok and [(p.path, p.line) for p in outcome.problems] == [("sua_doi.yaml", 2)]
    assert "khong-co" in outcome.problems[0].message
    good = b"bodies:\n  - {code: moi, name: Moi, level: unit, parent: p}\n"
    outcome = admin.import_organisation(s, good, "moi.yaml", catalogue=domain.catalogue, role_names=roles,
                                        hash_password=generate_password_hash)
    assert outcome.ok and outcome.summary.changed
    assert s.scalar(select(Body).where(Body.code == "moi")).parent_id == world["P"]
    assert not admin.import_organisation(s, b"x", "to-chuc.exe", catalogue=domain.catalogue, role_names=roles,
                                         hash_password=generate_password_hash).ok
    assert b"code: moi" in admin.export_file(s, "yaml")
    assert admin.export_file(s, "xlsx")[:2] == b"PK"
    with pytest.raises(DomainError):
        admin.export_file(s, "pdf")


def test_the_body_tree_nests(s, world):
    tree = [(b.code, depth) for b, depth in admin.body_tree(s)]
    assert tree.index(("p", 1)) < tree.index(("d1", 2)) and ("c", 0) in tree
