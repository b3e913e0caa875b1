"""Who may open what: every route × every kind of user × an item of their own unit or of
another unit, generated from the one table below (on the demo data).

A row names a URL template, who may open it (for items: per scope, ``own`` being the unit
officer's unit — Phòng Tổ chức cơ sở đảng — and ``other`` another unit — Phòng Cán bộ), and the
answer everyone else signed in gets: 403 (not their role) or 404 (an item they may not see;
its existence is not revealed). Anyone not signed in is sent to sign in, except on public
pages. Forms (POST) are checked the same way for those who must be refused; the allowed ones
are tested with their views. A route missing from the table fails the test, so a new route
has to say who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from workflow.domain.models import (Attachment, CouncilSession, Decision, DecisionDocument, DecisionItem, Nomination,
                                    Notification, User)

UNIT = {"canbo.tccs", "truongphong.tccs"}               # officer and head of the own unit
OTHER_UNIT = {"canbo.cb"}                               # the officer of another unit
CLUSTER = {"cumtruong.nb"}                              # the head of the cluster (a province's head)
COUNCIL = {"thuongtruc.tb", "uyvien.tb", "chutich.tb", "vanthu.tb"}  # the province's council people
CENTRAL = {"thuongtruc.tw"}                             # the central council's standing office
ADMIN = {"quantri"}
SIGNED_IN = UNIT | OTHER_UNIT | CLUSTER | COUNCIL | CENTRAL | ADMIN
USERS = sorted(SIGNED_IN) + ["anonymous"]
PUBLIC = "public"


@dataclass(frozen=True)
class Row:
    url: str
    may: frozenset[str] | dict[str, frozenset[str]] | str  # who may: a set, per scope, or PUBLIC
    refused: int = 404
    method: str = "GET"
    scopes: tuple[str, ...] = field(default=("",))
    ok: int = 200  # what an allowed person gets (a link that opens an item redirects to it)
    seen_by: frozenset[str] | dict[str, frozenset[str]] = frozenset()  # they get 403 rather than 404 …
    hidden_from: frozenset[str] = frozenset()  # … they get 404 rather than 403

    def allowed(self, user: str, scope: str) -> set[str] | str:
        return self.may[scope] if isinstance(self.may, dict) else self.may

    def refusal(self, user: str, scope: str) -> int:
        seen = self.seen_by[scope] if isinstance(self.seen_by, dict) else self.seen_by
        return 403 if user in seen else 404 if user in self.hidden_from else self.refused


def per_scope(own: set[str], other: set[str]) -> dict[str, frozenset[str]]:
    return {"own": frozenset(own), "other": frozenset(other)}


SEE_UNIT_ITEMS = per_scope(UNIT | COUNCIL | ADMIN, OTHER_UNIT | COUNCIL | ADMIN)
CLUSTER_PAGE = frozenset(CLUSTER | {"chutich.tb"} | CENTRAL | ADMIN)  # its members, its council's office, admin
BOTH = ("own", "other")

TABLE = [
    Row("/health", PUBLIC), Row("/v/", PUBLIC), Row("/v/{code}", PUBLIC), Row("/v/{code}/pdf", PUBLIC),
    Row("/login", PUBLIC),
    Row("/", frozenset(SIGNED_IN)), Row("/password", frozenset(SIGNED_IN)),
    Row("/nominations", frozenset(SIGNED_IN)), Row("/submissions", frozenset(SIGNED_IN)),
    Row("/decisions", frozenset(SIGNED_IN)), Row("/history", frozenset(SIGNED_IN)),
    Row("/notifications", frozenset(SIGNED_IN)),
    Row("/notifications/{notification}/open", per_scope({"truongphong.tccs"}, set()), scopes=("own",), ok=302),
    Row("/nominations/{nomination}", SEE_UNIT_ITEMS, scopes=BOTH),
    Row("/nominations/{nomination}/diagram.svg", SEE_UNIT_ITEMS, scopes=BOTH),
    Row("/files/{file}", SEE_UNIT_ITEMS, scopes=BOTH),
    Row("/submissions/{submission}", SEE_UNIT_ITEMS, scopes=BOTH),
    Row("/decisions/{decision}", SEE_UNIT_ITEMS, scopes=BOTH),
    Row("/decisions/{decision}/decision.pdf", SEE_UNIT_ITEMS, scopes=BOTH),
    Row("/decisions/{decision}/awardees.xlsx", SEE_UNIT_ITEMS, scopes=BOTH),
    Row("/decisions/{decision}/certificates.pdf", per_scope(UNIT | COUNCIL | ADMIN, COUNCIL | ADMIN), scopes=("own",)),
    Row("/decisions/{draft}", frozenset(COUNCIL | ADMIN)),
    Row("/clusters", frozenset(CLUSTER | {"chutich.tb"}), refused=403),
    Row("/clusters/{cluster}/2026", CLUSTER_PAGE),
    Row("/appraisal", frozenset({"thuongtruc.tb"} | CENTRAL), refused=403),
    Row("/sessions", frozenset(COUNCIL | CENTRAL), refused=403),
    Row("/sessions/{session}", frozenset(COUNCIL)),
    Row("/sessions/{session}/minutes.pdf", frozenset(COUNCIL)),
    Row("/sessions/{open_session}/written/{member}", frozenset({"thuongtruc.tb"}), seen_by=frozenset(COUNCIL)),
    Row("/admin/", frozenset(ADMIN), refused=403), Row("/admin/users", frozenset(ADMIN), refused=403),
    Row("/admin/users/new", frozenset(ADMIN), refused=403), Row("/admin/users/{user}", frozenset(ADMIN), refused=403),
    Row("/admin/organisation", frozenset(ADMIN), refused=403),
    Row("/admin/organisation/export.xlsx", frozenset(ADMIN), refused=403),
    Row("/admin/organisation/import", frozenset(ADMIN), refused=403),
    Row("/admin/bodies/new", frozenset(ADMIN), refused=403), Row("/admin/bodies/{body}", frozenset(ADMIN), refused=403),
    Row("/admin/clusters/new", frozenset(ADMIN), refused=403),
    Row("/admin/clusters/{cluster}", frozenset(ADMIN), refused=403),
    Row("/admin/councils/new", frozenset(ADMIN), refused=403),
    Row("/admin/councils/{council}", frozenset(ADMIN), refused=403),
    Row("/admin/periods", frozenset(ADMIN), refused=403), Row("/admin/periods/new", frozenset(ADMIN), refused=403),
    Row("/admin/periods/{period}", frozenset(ADMIN), refused=403),
    Row("/admin/delegations", frozenset(ADMIN), refused=403),
    Row("/admin/workflows", frozenset(ADMIN), refused=403), Row("/admin/catalogue", frozenset(ADMIN), refused=403),
    Row("/admin/workflows/nomination/{version}.svg", frozenset(ADMIN), refused=403),
]

# forms: who must be refused (the rest may post; what they post is tested with each view)
REFUSED_POSTS = [
    Row("/nominations/{nomination}/act", per_scope(UNIT | COUNCIL | ADMIN, OTHER_UNIT | COUNCIL | ADMIN),
        method="POST", scopes=BOTH),
    Row("/submissions/{submission}/nominees", per_scope({"canbo.tccs"}, OTHER_UNIT), method="POST", scopes=BOTH,
        seen_by=SEE_UNIT_ITEMS),
    Row("/sessions/{open_session}/close", frozenset({"thuongtruc.tb", "chutich.tb"}), method="POST",
        seen_by=frozenset(COUNCIL)),
    Row("/sessions/{open_session}/attendance", frozenset({"thuongtruc.tb"}), method="POST", seen_by=frozenset(COUNCIL)),
    Row("/sessions/{open_session}/ballot", frozenset({"uyvien.tb", "chutich.tb"}), method="POST",
        seen_by=frozenset(COUNCIL)),
    Row("/decisions/{draft}/act", frozenset(COUNCIL | ADMIN), method="POST"),
    Row("/appraisal/posting/{posted}/comments", frozenset(CENTRAL), method="POST", refused=403,
        hidden_from=frozenset({"thuongtruc.tb"})),  # another council's standing office: not theirs to see
    Row("/clusters/{cluster}/2026/covenant", frozenset(CLUSTER), method="POST", seen_by=CLUSTER_PAGE),
    Row("/clusters/{cluster}/2026/result", frozenset(CLUSTER), method="POST", seen_by=CLUSTER_PAGE),
    Row("/admin/users/new", frozenset(ADMIN), refused=403, method="POST"),
    Row("/admin/users/{user}/roles", frozenset(ADMIN), refused=403, method="POST"),
    Row("/admin/users/{user}/password", frozenset(ADMIN), refused=403, method="POST"),
    Row("/admin/delegations", frozenset(ADMIN), refused=403, method="POST"),
]


def _ids(web) -> dict[str, dict[str, int | str]]:
    """The demo's items, per scope: own = the officer's unit (Phòng Tổ chức cơ sở đảng), other = Phòng Cán bộ."""
    with web.extensions["laurel"].sessions() as s:
        def nomination(unit_code):
            from workflow.domain.models import Body
            body = s.scalar(select(Body.id).where(Body.code == unit_code))
            return s.scalars(select(Nomination).where(Nomination.proposer_body_id == body)
                             .join(DecisionItem, DecisionItem.nomination_id == Nomination.id)
                             .order_by(Nomination.id)).first()

        def scope(unit_code):
            n = nomination(unit_code)
            decision = s.scalar(select(DecisionItem.decision_id).where(DecisionItem.nomination_id == n.id))
            return {"nomination": n.id, "submission": n.submission_id, "decision": decision,
                    "file": s.scalar(select(Attachment.id).where(Attachment.nomination_id == n.id))}

        head = s.scalar(select(User.id).where(User.username == "truongphong.tccs"))
        common = {
            "code": s.scalars(select(DecisionDocument.verify_code)).first(),
            "draft": s.scalar(select(Decision.id).where(Decision.number.is_(None))),
            "session": s.scalar(select(CouncilSession.id).where(CouncilSession.status == "closed")),
            "open_session": s.scalar(select(CouncilSession.id).where(CouncilSession.status == "open")),
            "member": s.scalar(select(User.id).where(User.username == "uyvien2.tb")),
            "posted": s.scalar(select(Nomination.id).where(Nomination.award_code == "BK_TW")),
            "user": head, "cluster": 1, "body": 1, "council": 1, "period": 1, "version": 3,
        }
        return {"own": {**common, **scope("tb-tccs"),
                        "notification": s.scalar(select(Notification.id).where(Notification.user_id == head))},
                "other": {**common, **scope("tb-cb")}}


@pytest.fixture(scope="module")
def clients(seeded_db, keys_folder, tmp_path_factory):
    """One signed-in client per user, over one copy of the demo data (nothing here writes)."""
    from conftest import demo_copy
    from web import create_app
    with demo_copy(seeded_db, tmp_path_factory.mktemp("authorization")) as url:
        app = create_app({"DATABASE_URL": url, "TESTING": True, "WTF_CSRF_ENABLED": False, "KEYS": str(keys_folder)})
        yield app, {user: _client(app, user) for user in USERS}, _ids(app)
        app.extensions["laurel"].db.dispose()


def _client(app, user: str):
    client = app.test_client()
    if user != "anonymous":
        assert client.post("/login", data={"username": user, "password": "thidua2026"}).status_code == 302
    return client


def _expect(row: Row, scope: str, user: str) -> set[int]:
    allowed = row.allowed(user, scope)
    if allowed == PUBLIC:
        return {200}
    if user == "anonymous":
        return {302}
    if user in allowed:
        return {row.ok} if row.method == "GET" else set()  # allowed forms are not posted here
    return {row.refusal(user, scope)}


def cases(rows):
    """Every row × scope × user, but the forms an allowed person may post (tested with the views)."""
    for row in rows:
        for scope in row.scopes:
            for user in USERS:
                if _expect(row, scope or "own", user):
                    yield pytest.param(row, scope or "own", user, id=f"{row.method} {row.url} {scope} {user}")


@pytest.mark.parametrize("row, scope, user", list(cases(TABLE + REFUSED_POSTS)))
def test_who_may_open_what(clients, row, scope, user):
    _app, signed_in, ids = clients
    expected = _expect(row, scope, user)
    url = row.url.format(**ids[scope])
    response = signed_in[user].get(url) if row.method == "GET" else signed_in[user].post(url, data={})
    assert response.status_code in expected, f"{user} {row.method} {url}: {response.status_code}, expected {expected}"
    if response.status_code == 302:
        assert ("/login" in response.headers["Location"]) == (user == "anonymous")


def test_every_route_is_in_the_table(clients):
    app, _signed_in, ids = clients
    adapter = app.url_map.bind("localhost")
    covered = {(row.method, adapter.match(row.url.format(**ids["own"]), method=row.method)[0])
               for row in TABLE + REFUSED_POSTS}
    posts_tested_with_views = {
        "auth.login", "auth.logout", "auth.password", "i18n.switch", "verify.check", "nominations.create_submission",
        "nominations.upload", "nominations.upload_submission_document", "nominations.submit_all",
        "notifications.read", "notifications.read_all", "council.open_session", "council.record",
        "council.record_written", "decisions.draft", "decisions.draft_revocation", "decisions.act", "clusters.review",
        "clusters.record_scores", "clusters.cast_acclaim_vote", "admin.new_body", "admin.body", "admin.new_cluster",
        "admin.cluster", "admin.new_council", "admin.council", "admin.new_period", "admin.period", "admin.user",
        "admin.set_active", "admin.remove_role", "admin.delete_delegation", "admin.import_file"}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            if (method, rule.endpoint) not in covered and not (method == "POST" and rule.endpoint in
                                                               posts_tested_with_views):
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "routes nobody said who may use:\n" + "\n".join(missing)
