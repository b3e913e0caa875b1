"""The administration in the browser: administrators only; organisation, users and roles,
passwords, delegations, periods, the catalogue, the workflows and the organisation as a file."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from sqlalchemy import select

from workflow.domain.models import Body, Cluster, ClusterMembership, Council, Delegation, Period, RoleAssignment, User

ADMIN = "quantri"
PASSWORD = "thidua2026"


def _admin_urls(app) -> list[tuple[str, str]]:
    """(method, url) of every route of the administration, with sample values for its arguments."""
    samples = {"int": "1", "default": "nomination"}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule):
            value = "yaml" if name == "fmt" else samples.get(converter or "default", "x")
            url = re.sub(rf"<(?:\w+:)?{name}>", value, url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_every_admin_route_is_known(web):
    urls = _admin_urls(web)
    assert len(urls) >= 25 and ("GET", "/admin/") in urls and ("POST", "/admin/users/1/password") in urls


@pytest.mark.parametrize("username", ["canbo.tccs", "thuongtruc.tb", "chutich.tb"])
def test_every_admin_route_is_forbidden_to_others(web, client_as, username):
    client = client_as(username)
    refused = {(method, url): client.open(url, method=method).status_code for method, url in _admin_urls(web)}
    assert set(refused.values()) == {403}, {k: v for k, v in refused.items() if v != 403}
    assert "/admin/" not in client.get("/").get_data(as_text=True)  # not in the menu either


def test_signed_out_the_admin_asks_to_sign_in(web):
    response = web.test_client().get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_an_administrator_sees_the_overview_and_the_menu_item(client_as):
    client = client_as(ADMIN, lang="en")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Administration" in page and "Users and roles" in page
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)


def _id(web, model, **where):
    with web.extensions["laurel"].sessions() as s:
        return s.scalar(select(model.id).where(*[getattr(model, k) == v for k, v in where.items()]))


def _password_on(page: str) -> str:
    return re.search(r'<code class="password">([^<]+)</code>', page).group(1)


def _sign_in(web, username, password):
    return web.test_client().post("/login", data={"username": username, "password": password}).status_code == 302


# --- users, roles, passwords ----------------------------------------------------------------------------

def test_create_a_user_with_a_role_then_they_sign_in(web, client_as):
    client = client_as(ADMIN, lang="en")
    unit = _id(web, Body, code="tb-tccs")
    response = client.post("/admin/users/new", data={
        "username": "canbo2.tccs", "display_name": "Lê Thị Mai", "email": "mai.lt@example.vn",
        "person_id": "None", "role": "unit_officer", "scope": f"body:{unit}"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "New user created" in page and "shown only now" in page
    password = _password_on(page)
    assert len(password) >= 12 and _sign_in(web, "canbo2.tccs", password)
    user = _id(web, User, username="canbo2.tccs")
    with web.extensions["laurel"].sessions() as s:
        roles = [(a.role, a.scope_kind, a.scope_id) for a in s.scalars(select(RoleAssignment)
                                                                       .where(RoleAssignment.user_id == user))]
        assert s.get(User, user).email == "mai.lt@example.vn"
    assert roles == [("unit_officer", "body", unit)]
    listed = client.get("/admin/users?q=le thi mai").get_data(as_text=True)
    assert "Lê Thị Mai" in listed and "Unit emulation officer" in listed


def test_a_user_name_taken_and_a_bad_email_come_back_at_their_fields(client_as):
    client = client_as(ADMIN, lang="en")
    response = client.post("/admin/users/new", data={"username": "canbo.tccs", "display_name": "X",
                                                     "email": "not-an-email", "person_id": "None", "role": "",
                                                     "scope": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="username"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="username"', page)
    assert "“canbo.tccs” is already taken" in page and "“not-an-email” is not an email address" in page


@pytest.mark.parametrize("role, scope, message", [
    ("unit_head", "", "“Unit head” is held in a body (unit): choose a body (unit)"),
    ("secretariat", "body", "“Standing office” is held in a council: choose a council"),
    ("admin", "council", "“Administrator” is held everywhere: choose no scope"),
])
def test_a_role_needs_the_right_scope(web, client_as, role, scope, message):
    client = client_as(ADMIN, lang="en")
    user = _id(web, User, username="canbo.tb")
    ids = {"body": _id(web, Body, code="tb-tccs"), "council": _id(web, Council, code="hd-btc-tb")}
    response = client.post(f"/admin/users/{user}/roles",
                           data={"role": role, "scope": f"{scope}:{ids[scope]}" if scope else ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'class="field-error"' in page


def test_give_and_remove_a_council_role(web, client_as):
    client = client_as(ADMIN, lang="en")
    user = _id(web, User, username="canbo.tb")
    council = _id(web, Council, code="hd-btc-tb")
    response = client.post(f"/admin/users/{user}/roles", data={"role": "council_member", "scope": f"council:{council}",
                                                               "valid_from": "2026-01-01", "valid_to": "2026-12-31"})
    assert response.status_code == 302
    with web.extensions["laurel"].sessions() as s:
        given = s.scalar(select(RoleAssignment).where(RoleAssignment.user_id == user,
                                                      RoleAssignment.role == "council_member"))
        assert (given.scope_kind, given.scope_id, str(given.valid_to)) == ("council", council, "2026-12-31")
    page = client.get(f"/admin/users/{user}").get_data(as_text=True)
    assert "Council member" in page and "Hội đồng" in page
    assert client.post(f"/admin/roles/{given.id}/delete").status_code == 302
    with web.extensions["laurel"].sessions() as s:
        assert s.get(RoleAssignment, given.id) is None


def test_the_last_administrator_keeps_the_role(web, client_as):
    client = client_as(ADMIN, lang="en")
    admin = _id(web, User, username=ADMIN)
    assignment = _id(web, RoleAssignment, user_id=admin, role="admin")
    client.post(f"/admin/roles/{assignment}/delete")
    assert "This is the last administrator" in client.get(f"/admin/users/{admin}").get_data(as_text=True)
    assert _id(web, RoleAssignment, user_id=admin, role="admin") == assignment


def test_reset_a_password_shows_the_new_one_once(web, client_as):
    client = client_as(ADMIN, lang="en")
    user = _id(web, User, username="canbo.tb")
    response = client.post(f"/admin/users/{user}/password")
    assert response.status_code == 200
    password = _password_on(response.get_data(as_text=True))
    assert not _sign_in(web, "canbo.tb", PASSWORD) and _sign_in(web, "canbo.tb", password)
    assert password not in client.get(f"/admin/users/{user}").get_data(as_text=True)


def test_deactivate_then_reactivate(web, client_as):
    client = client_as(ADMIN, lang="en")
    user = _id(web, User, username="canbo.tb")
    assert client.post(f"/admin/users/{user}/active", data={"active": "0"}).status_code == 302
    assert not _sign_in(web, "canbo.tb", PASSWORD)
    assert "deactivated" in client.get("/admin/users?q=canbo.tb").get_data(as_text=True)
    client.post(f"/admin/users/{user}/active", data={"active": "1"})
    assert _sign_in(web, "canbo.tb", PASSWORD)
    me = _id(web, User, username=ADMIN)
    client.post(f"/admin/users/{me}/active", data={"active": "0"})
    assert "You cannot deactivate your own account" in client.get(f"/admin/users/{me}").get_data(as_text=True)


def test_edit_a_user(web, client_as):
    client = client_as(ADMIN, lang="en")
    user = _id(web, User, username="canbo.tb")
    response = client.post(f"/admin/users/{user}", data={"display_name": "Phạm Thị Huyền", "email": "huyen@example.vn",
                                                         "person_id": "None"})
    assert response.status_code == 302
    with web.extensions["laurel"].sessions() as s:
        assert s.get(User, user).email == "huyen@example.vn"


# --- delegations -----------------------------------------------------------------------------------------

def test_create_and_delete_a_delegation(web, client_as):
    client = client_as(ADMIN, lang="en")
    principal, deputy = _id(web, User, username="truongphong.tccs"), _id(web, User, username="canbo.tccs")
    response = client.post("/admin/delegations", data={"principal_id": principal, "deputy_id": deputy,
                                                       "starts": "2026-12-01", "ends": "2026-12-20",
                                                       "note": "Nghỉ phép"})
    assert response.status_code == 302
    page = client.get("/admin/delegations").get_data(as_text=True)
    assert "Nghỉ phép" in page
    made = _id(web, Delegation, principal_id=principal, deputy_id=deputy)
    assert client.post(f"/admin/delegations/{made}/delete").status_code == 302
    assert _id(web, Delegation, principal_id=principal, deputy_id=deputy) is None


def test_a_delegation_to_oneself_or_backwards_is_refused_at_the_field(web, client_as):
    client = client_as(ADMIN, lang="en")
    user = _id(web, User, username="canbo.tccs")
    response = client.post("/admin/delegations", data={"principal_id": user, "deputy_id": user,
                                                       "starts": "2026-12-20", "ends": "2026-12-01"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The deputy must be someone else" in page and "Ends before it starts" in page


# --- periods --------------------------------------------------------------------------------------------------

def test_a_period_with_errors_comes_back_at_the_fields(web, client_as):
    client = client_as(ADMIN, lang="en")
    response = client.post("/admin/periods/new", data={
        "code": "2026", "name": "", "kind": "year", "year": "2027", "starts": "2027-01-01", "ends": "2026-12-31",
        "submission_opens": "2027-10-15", "submission_closes": "2027-10-01"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = dict(re.findall(r'<small id="(\w+)-error" class="field-error">([^<]+)</small>', page))
    assert errors == {"code": "“2026” is already taken", "name": "Required",
                      "ends": "The period ends before it starts",
                      "submission_closes": "The submission window closes before it opens"}
    assert 'value="2027-10-15"' in page  # what was typed stays


def test_create_then_edit_a_period(web, client_as):
    client = client_as(ADMIN, lang="en")
    response = client.post("/admin/periods/new", data={
        "code": "2027", "name": "Năm 2027", "kind": "year", "year": "2027", "starts": "2027-01-01",
        "ends": "2027-12-31", "submission_opens": "2027-10-15", "submission_closes": "2027-12-31"})
    assert response.status_code == 302
    assert "Năm 2027" in client.get("/admin/periods").get_data(as_text=True)
    period = _id(web, Period, code="2027")
    response = client.post(f"/admin/periods/{period}", data={
        "code": "2027", "name": "Năm 2027", "kind": "year", "year": "2027", "starts": "2027-01-01",
        "ends": "2027-12-31", "submission_opens": "2027-11-01", "submission_closes": "2028-01-10"})
    assert response.status_code == 302
    with web.extensions["laurel"].sessions() as s:
        assert str(s.get(Period, period).submission_closes) == "2028-01-10"


# --- the organisation ---------------------------------------------------------------------------------------

def test_the_organisation_shows_bodies_as_a_tree_with_councils_and_clusters(client_as):
    page = client_as(ADMIN, lang="en").get("/admin/organisation").get_data(as_text=True)
    assert "Ban Tổ chức Tỉnh ủy Thái Bình" in page and "Phòng Tổ chức cơ sở đảng" in page
    assert page.index("Ban Tổ chức Trung ương") < page.index("Ban Tổ chức Tỉnh ủy Thái Bình")
    assert "Cụm thi đua số 2" in page and "Ban Tổ chức Tỉnh ủy Lạng Sơn" in page


def test_create_a_body_a_council_and_a_cluster(web, client_as):
    client = client_as(ADMIN, lang="en")
    province = _id(web, Body, code="btc-tb")
    response = client.post("/admin/bodies/new", data={"code": "tb-vp2", "name": "Văn phòng Ban", "level": "unit",
                                                      "parent_id": province})
    assert response.status_code == 302
    body = _id(web, Body, code="tb-vp2")
    response = client.post("/admin/councils/new", data={"code": "hd-tb-vp", "name": "Hội đồng Văn phòng",
                                                        "body_id": body})
    assert response.status_code == 302
    council = _id(web, Council, code="hd-tb-vp")
    members = [_id(web, Body, code="tb-tccs"), body]
    response = client.post("/admin/clusters/new", data={"code": "khoi-1", "name": "Khối phòng ban", "kind": "block",
                                                        "council_id": council, "member_ids": members})
    assert response.status_code == 302
    cluster = _id(web, Cluster, code="khoi-1")
    with web.extensions["laurel"].sessions() as s:
        assert sorted(s.scalars(select(ClusterMembership.body_id).where(ClusterMembership.cluster_id == cluster))) \
            == sorted(members)
    page = client.get("/admin/organisation").get_data(as_text=True)
    assert "Văn phòng Ban" in page and "Hội đồng Văn phòng" in page and "Khối phòng ban" in page


def test_a_body_cannot_sit_under_itself(web, client_as):
    client = client_as(ADMIN, lang="en")
    province, unit = _id(web, Body, code="btc-tb"), _id(web, Body, code="tb-tccs")
    response = client.post(f"/admin/bodies/{province}", data={"code": "btc-tb", "name": "Ban Tổ chức Tỉnh ủy Thái Bình",
                                                              "level": "province", "parent_id": unit})
    assert response.status_code == 400
    assert "The parent cannot be the body itself or one of the bodies below it" in response.get_data(as_text=True)


def test_a_second_council_for_a_body_is_refused(web, client_as):
    client = client_as(ADMIN, lang="en")
    response = client.post("/admin/councils/new", data={"code": "hd-2", "name": "Hai",
                                                        "body_id": _id(web, Body, code="btc-tb")})
    assert response.status_code == 400 and "This body already has" in response.get_data(as_text=True)


# --- definitions --------------------------------------------------------------------------------------------

def test_the_workflows_page_lists_each_workflow_with_its_diagram(client_as):
    page = client_as(ADMIN, lang="en").get("/admin/workflows").get_data(as_text=True)
    for workflow in ("nomination", "decision"):
        assert f'id="{workflow}-v' in page
    assert page.count("<svg") >= 2 and "Every definition is valid." in page and "✔ valid" in page
    assert "Awaiting the unit head" in page  # the diagram speaks the page's language


def test_a_deployed_versions_diagram_as_svg(client_as):
    response = client_as(ADMIN).get("/admin/workflows/nomination/3.svg")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("image/svg+xml")
    assert client_as(ADMIN).get("/admin/workflows/nomination/99.svg").status_code == 404


def test_the_catalogue_lists_awards_with_their_rules(client_as):
    page = client_as(ADMIN, lang="en").get("/admin/catalogue").get_data(as_text=True)
    assert "Base-level Emulation Fighter" in page and "Holds “Advanced Worker” in the same period" in page
    assert "At most 15% of the holders of “Advanced Worker”, per unit" in page
    assert "secret ballot" in page


# --- the organisation as a file -----------------------------------------------------------------------------

def test_export_then_import_changes_nothing(client_as):
    client = client_as(ADMIN, lang="en")
    exported = client.get("/admin/organisation/export.yaml")
    assert exported.status_code == 200 and b"bodies:" in exported.data
    assert "Ban Tổ chức Tỉnh ủy Thái Bình" in [b["name"] for b in yaml.safe_load(exported.data.decode())["bodies"]]
    response = client.post("/admin/organisation/import", data={"file": (io.BytesIO(exported.data), "to-chuc.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Nothing changed: the database already holds this organisation." in response.get_data(as_text=True)
    workbook = client.get("/admin/organisation/export.xlsx")
    assert workbook.data[:2] == b"PK"


def test_an_import_with_problems_names_them_and_writes_nothing(web, client_as):
    client = client_as(ADMIN, lang="en")
    bad = ("bodies:\n  - {code: moi, name: Đơn vị mới, level: unit, parent: btc-tb}\n"
           "  - {code: sai, name: Sai, level: galaxy}\n"
           "users:\n  - {username: ai, name: Ai, roles: [{role: unit_head}]}\n")
    response = client.post("/admin/organisation/import", data={"file": (io.BytesIO(bad.encode()), "sua.yaml")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported: 2 problems" in page
    assert "<code>sua.yaml:3</code>" in page and "<code>sua.yaml:5</code>" in page
    assert _id(web, Body, code="moi") is None


def test_a_dry_run_writes_nothing_and_an_import_shows_new_passwords_once(web, client_as):
    client = client_as(ADMIN, lang="en")
    new = ("bodies:\n  - {code: moi, name: Đơn vị mới, level: unit, parent: btc-tb}\n"
           "users:\n  - {username: moi.canbo, name: Cán bộ mới, roles: [{role: unit_officer, body: moi}]}\n")
    response = client.post("/admin/organisation/import", data={"file": (io.BytesIO(new.encode()), "moi.yaml"),
                                                                "dry_run": "y"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "nothing was written" in page and "bodies: 1 created" in page
    assert _id(web, Body, code="moi") is None and "Passwords of the new users" not in page
    response = client.post("/admin/organisation/import", data={"file": (io.BytesIO(new.encode()), "moi.yaml")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "Imported:" in page and _id(web, Body, code="moi") is not None
    password = re.search(r"<td>moi.canbo</td><td><code>([^<]+)</code>", page).group(1)
    assert _sign_in(web, "moi.canbo", password)
