"""Administration (quản trị hệ thống): changing the organisation by hand — bodies, councils,
clusters and their members, users, their roles and delegations, periods — and the read-outs an
administrator checks: the catalogue's rules in words, the deployed workflows with their problems,
the organisation imported and exported as a file (``orgio``).

Every change is checked here and refused with ``Invalid``, which names what is wrong at the field
it concerns (vi/en), so a form can show it there. Services take a session; the caller commits.
"""

from __future__ import annotations

import re
import secrets
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..loader import load_workflow
from ..models import WorkflowDefinition
from ..schema import Label
from ..yamlsource import Problem
from .catalogue import Catalogue, Prerequisite, Quota, VoteRule
from .errors import DomainError
from .models import (Body, Cluster, ClusterLeadership, ClusterMembership, Council, Delegation, Period, Person,
                     RoleAssignment, User)
from .organisation import ancestors
from .orgio import ImportRefused, ImportSummary, apply_organisation, check_organisation, export_organisation, \
    read_organisation
from .orgio.checks import role_scope  # where a role is held, as an import checks it
from .orgio.schema import CODE, EMAIL, USERNAME  # the import format's own rules for codes and names
from .text import nfc, quoted, search_key

__all__ = ["Invalid", "body_tree", "save_body", "save_council", "save_cluster", "new_password", "find_users",
           "create_user", "update_user", "set_active", "reset_password", "role_scope", "assign_role", "remove_role",
           "create_delegation", "delete_delegation", "save_period", "describe_vote", "describe_prerequisite",
           "describe_quota", "DeployedWorkflow", "deployed_workflows", "ImportOutcome", "import_organisation",
           "export_file", "EXPORT_FORMATS", "counts"]

_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing to misread
PASSWORD_LENGTH = 14
EXPORT_FORMATS = {"yaml": "application/x-yaml", "xlsx": "application/vnd.openxmlformats-officedocument"
                                                        ".spreadsheetml.sheet"}
_UPLOAD_SUFFIXES = (".yaml", ".yml", ".xlsx", ".csv")


class Invalid(DomainError):
    """Input refused: what is wrong, field by field (``fields``: field name → vi/en messages)."""

    def __init__(self, fields: Mapping[str, list[Label]]):
        first = next(iter(fields.values()))[0]
        super().__init__(first.vi, first.en)
        self.fields = dict(fields)


class _Problems:
    """Collects what is wrong with a form's fields, then raises them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[Label]] = {}

    def add(self, name: str, vi: str, en: str) -> None:
        self.fields.setdefault(name, []).append(Label(vi=vi, en=en))

    def check(self) -> None:
        if self.fields:
            raise Invalid(self.fields)

    def text(self, name: str, value: str | None, limit: int, *, required: bool = True) -> str | None:
        value = nfc(value or "")
        if not value:
            if required:
                self.add(name, "Không được để trống", "Required")
            return None
        if len(value) > limit:
            self.add(name, f"Tối đa {limit} ký tự", f"At most {limit} characters")
        return value

    def code(self, name: str, value: str | None, limit: int, pattern: re.Pattern = CODE) -> str | None:
        value = self.text(name, value, limit)
        if value and not pattern.fullmatch(value):
            self.add(name, "Chỉ dùng chữ không dấu, chữ số, “-”, “_” hoặc “.”, bắt đầu bằng chữ hoặc số, "
                           "không có dấu cách",
                     "Use letters without diacritics, digits, '-', '_' or '.', starting with a letter or digit, "
                     "without spaces")
        return value

    def unique(self, session: Session, name: str, column, value: str | None, current: object | None) -> None:
        if not value:
            return
        found = session.scalar(select(column.class_).where(column == value))
        if found is not None and found is not current:
            self.add(name, f"{quoted(value)} đã được dùng", f"{quoted(value)} is already taken")


# --- bodies, councils, clusters ----------------------------------------------------------------

def body_tree(session: Session) -> list[tuple[Body, int]]:
    """Every body with its depth, each under its parent, siblings by name."""
    bodies = session.scalars(select(Body).order_by(Body.name)).all()
    children: dict[int | None, list[Body]] = {}
    known = {b.id for b in bodies}
    for body in bodies:
        children.setdefault(body.parent_id if body.parent_id in known else None, []).append(body)
    out: list[tuple[Body, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for body in children.get(parent, []):
            if body.id not in seen:
                seen.add(body.id)
                out.append((body, depth))
                walk(body.id, depth + 1)
    walk(None, 0)
    out += [(b, 0) for b in bodies if b.id not in seen]  # a cycle, should one exist: still shown
    return out


def save_body(session: Session, catalogue: Catalogue, body: Body | None, *, code: str, name: str, level: str,
              parent_id: int | None = None, name_en: str | None = None, short_name: str | None = None,
              place: str | None = None, document_symbol: str | None = None) -> Body:
    """Creates a body (``body`` None) or changes one; refuses a parent below itself."""
    p = _Problems()
    code = p.code("code", code, 64)
    p.unique(session, "code", Body.code, code, body)
    name = p.text("name", name, 300)
    values = {"name_en": p.text("name_en", name_en, 300, required=False),
              "short_name": p.text("short_name", short_name, 120, required=False),
              "place": p.text("place", place, 120, required=False),
              "document_symbol": p.text("document_symbol", document_symbol, 32, required=False)}
    if level not in catalogue.schema.levels:
        p.add("level", "Hãy chọn một cấp", "Choose a level")
    if parent_id is not None:
        if session.get(Body, parent_id) is None:
            p.add("parent_id", "Không có đơn vị này", "No such body")
        elif body is not None and body.id in {b.id for b in ancestors(session, parent_id)}:
            p.add("parent_id", "Đơn vị cấp trên không thể là chính nó hoặc một đơn vị trực thuộc nó",
                  "The parent cannot be the body itself or one of the bodies below it")
    p.check()
    body = body or Body(code=code, name=name, level=level)
    body.code, body.name, body.level, body.parent_id = code, name, level, parent_id
    for key, value in values.items():
        setattr(body, key, value)
    session.add(body)
    session.flush()
    return body


def save_council(session: Session, council: Council | None, *, code: str, name: str, body_id: int | None) -> Council:
    """Creates or changes a council (Hội đồng TĐKT): one per body."""
    p = _Problems()
    code = p.code("code", code, 64)
    p.unique(session, "code", Council.code, code, council)
    name = p.text("name", name, 300)
    if body_id is None or session.get(Body, body_id) is None:
        p.add("body_id", "Hãy chọn đơn vị có Hội đồng", "Choose the body the council belongs to")
    else:
        other = session.scalar(select(Council).where(Council.body_id == body_id))
        if other is not None and other is not council:
            p.add("body_id", f"Đơn vị này đã có {other.name}", f"This body already has {other.name}")
    p.check()
    council = council or Council(code=code, name=name, body_id=body_id)
    council.code, council.name, council.body_id = code, name, body_id
    session.add(council)
    session.flush()
    return council


def save_cluster(session: Session, cluster: Cluster | None, *, code: str, name: str, kind: str,
                 council_id: int | None, member_ids: Iterable[int]) -> Cluster:
    """Creates or changes a cluster (cụm) or block (khối) and sets its members; a unit elected
    its head or deputy for some period stays a member."""
    p = _Problems()
    code = p.code("code", code, 64)
    p.unique(session, "code", Cluster.code, code, cluster)
    name = p.text("name", name, 300)
    if kind not in ("cluster", "block"):
        p.add("kind", "Hãy chọn cụm hoặc khối", "Choose cluster or block")
    if council_id is None or session.get(Council, council_id) is None:
        p.add("council_id", "Hãy chọn Hội đồng lập cụm", "Choose the council that sets up the cluster")
    members = set(member_ids)
    if len(set(session.scalars(select(Body.id).where(Body.id.in_(members))))) != len(members):
        p.add("member_ids", "Có đơn vị không tồn tại", "Some of these bodies do not exist")
    if cluster is not None:
        leaders = session.scalars(select(ClusterLeadership).where(ClusterLeadership.cluster_id == cluster.id)).all()
        kept = {b for lead in leaders for b in (lead.head_body_id, lead.deputy_body_id) if b} - members
        for body in session.scalars(select(Body).where(Body.id.in_(kept)).order_by(Body.name)):
            p.add("member_ids", f"{body.name} đã được bầu cụm trưởng hoặc cụm phó: phải là thành viên",
                  f"{body.name} was elected the cluster's head or deputy: it must stay a member")
    p.check()
    cluster = cluster or Cluster(code=code, name=name, kind=kind, council_id=council_id)
    cluster.code, cluster.name, cluster.kind, cluster.council_id = code, name, kind, council_id
    session.add(cluster)
    session.flush()
    current = set(session.scalars(select(ClusterMembership.body_id).where(ClusterMembership.cluster_id == cluster.id)))
    if current - members:
        session.execute(delete(ClusterMembership).where(ClusterMembership.cluster_id == cluster.id,
                                                        ClusterMembership.body_id.in_(current - members)))
    for body_id in sorted(members - current):
        session.add(ClusterMembership(cluster_id=cluster.id, body_id=body_id))
    session.flush()
    return cluster


# --- users, roles, delegations -----------------------------------------------------------------------

def new_password() -> str:
    """A random password to hand over once (the user changes it at first sign-in)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def find_users(session: Session, text: str | None = None, *, limit: int = 200) -> list[User]:
    """Users whose user name, email or name (case and diacritics ignored) contains ``text``;
    active ones first, by name."""
    users = session.scalars(select(User).order_by(User.active.desc(), User.display_name, User.id)).all()
    key = search_key(text)
    if key:
        users = [u for u in users if key in search_key(u.display_name) or key in u.username.lower()
                 or key in (u.email or "").lower()]
    return users[:limit]


def _user_fields(p: _Problems, session: Session, user: User | None, display_name: str, email: str | None,
                 person_id: int | None) -> tuple[str | None, str | None]:
    display_name = p.text("display_name", display_name, 200)
    email = p.text("email", email, 254, required=False)
    if email and not EMAIL.fullmatch(email):
        p.add("email", f"{quoted(email)} không phải địa chỉ email", f"{quoted(email)} is not an email address")
    if person_id is not None:
        if session.get(Person, person_id) is None:
            p.add("person_id", "Không có người này", "No such person")
        else:
            other = session.scalar(select(User).where(User.person_id == person_id))
            if other is not None and other is not user:
                p.add("person_id", f"Đã gắn với tài khoản {other.username}", f"Already linked to {other.username}")
    return display_name, email


def create_user(session: Session, hash_password: Callable[[str], str], *, username: str, display_name: str,
                email: str | None = None, person_id: int | None = None) -> tuple[User, str]:
    """A new user with a random password, returned once with the user."""
    p = _Problems()
    username = p.code("username", username, 64, USERNAME)
    p.unique(session, "username", User.username, username, None)
    display_name, email = _user_fields(p, session, None, display_name, email, person_id)
    p.check()
    password = new_password()
    user = User(username=username, display_name=display_name, email=email, person_id=person_id,
                password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    return user, password


def update_user(session: Session, user: User, *, display_name: str, email: str | None,
                person_id: int | None) -> User:
    p = _Problems()
    display_name, email = _user_fields(p, session, user, display_name, email, person_id)
    p.check()
    user.display_name, user.email, user.person_id = display_name, email, person_id
    session.flush()
    return user


def _admins(session: Session) -> set[int]:
    return set(session.scalars(select(RoleAssignment.user_id).join(User, User.id == RoleAssignment.user_id).where(
        RoleAssignment.role == "admin", User.active.is_(True))))


def set_active(session: Session, user: User, active: bool, *, by: User) -> None:
    """Deactivates (the user can no longer sign in; history keeps their name) or reactivates."""
    if not active and user.id == by.id:
        raise DomainError("Không thể tự khóa tài khoản của chính mình", "You cannot deactivate your own account")
    if not active and _admins(session) == {user.id}:
        raise DomainError("Đây là quản trị viên cuối cùng", "This is the last administrator")
    user.active = active
    session.flush()


def reset_password(session: Session, user: User, hash_password: Callable[[str], str]) -> str:
    """A new random password (every session of the user ends); returned once."""
    password = new_password()
    user.password_hash = hash_password(password)
    session.flush()
    return password


_SCOPES = {"body": (Body, "một đơn vị", "a body (unit)"), "council": (Council, "một Hội đồng", "a council"),
           "cluster": (Cluster, "một cụm thi đua", "a cluster")}


def assign_role(session: Session, roles: Mapping[str, Label], user: User, *, role: str, scope_kind: str | None,
                scope_id: int | None, valid_from: date | None = None, valid_to: date | None = None) -> RoleAssignment:
    """Gives ``user`` a role in the right scope: unit roles in a body, council roles in a council,
    cluster roles in a cluster, ``admin`` everywhere (no scope)."""
    p = _Problems()
    if role not in roles or role == "system":
        p.add("role", "Hãy chọn một vai trò", "Choose a role")
    else:
        need, label = role_scope(role), roles[role]
        if need is None and scope_kind:
            p.add("scope", f"“{label.vi}” áp dụng ở mọi nơi: đừng chọn phạm vi",
                  f"“{label.en}” is held everywhere: choose no scope")
        elif need and scope_kind != need:
            _table, vi, en = _SCOPES[need]
            p.add("scope", f"“{label.vi}” được giao trong {vi}: hãy chọn {vi}",
                  f"“{label.en}” is held in {en}: choose {en}")
    if scope_kind and (scope_kind not in _SCOPES or scope_id is None
                       or session.get(_SCOPES[scope_kind][0], scope_id) is None):
        p.add("scope", "Không có phạm vi này", "No such scope")
    if valid_from and valid_to and valid_to < valid_from:
        p.add("valid_to", "Ngày kết thúc trước ngày bắt đầu", "Ends before it starts")
    kind = scope_kind or "global"
    if not p.fields and session.scalar(select(RoleAssignment).where(
            RoleAssignment.user_id == user.id, RoleAssignment.role == role, RoleAssignment.scope_kind == kind,
            RoleAssignment.scope_id.is_(None) if scope_id is None or not scope_kind
            else RoleAssignment.scope_id == scope_id)) is not None:
        p.add("role", "Người này đã có vai trò này ở đây", "This user already holds this role here")
    p.check()
    assignment = RoleAssignment(user_id=user.id, role=role, scope_kind=kind, scope_id=scope_id if scope_kind else None,
                                valid_from=valid_from, valid_to=valid_to)
    session.add(assignment)
    session.flush()
    return assignment


def remove_role(session: Session, assignment: RoleAssignment) -> None:
    """Takes a role away (the audit keeps what was done with it); never the last administrator's."""
    if assignment.role == "admin" and _admins(session) == {assignment.user_id}:
        raise DomainError("Đây là quản trị viên cuối cùng", "This is the last administrator")
    session.delete(assignment)
    session.flush()


def create_delegation(session: Session, *, principal_id: int | None, deputy_id: int | None, starts: date | None,
                      ends: date | None, note: str | None = None) -> Delegation:
    """Ủy quyền: the deputy acts for the principal (with all the principal's roles) between two days."""
    p = _Problems()
    for name, user_id in (("principal_id", principal_id), ("deputy_id", deputy_id)):
        user = session.get(User, user_id) if user_id is not None else None
        if user is None or not user.active:
            p.add(name, "Hãy chọn một người dùng đang hoạt động", "Choose an active user")
    if principal_id is not None and principal_id == deputy_id:
        p.add("deputy_id", "Người được ủy quyền phải là người khác", "The deputy must be someone else")
    for name, day in (("starts", starts), ("ends", ends)):
        if day is None:
            p.add(name, "Hãy nhập ngày", "Give a date")
    if starts and ends and ends < starts:
        p.add("ends", "Ngày kết thúc trước ngày bắt đầu", "Ends before it starts")
    note = p.text("note", note, 500, required=False)
    p.check()
    delegation = Delegation(principal_id=principal_id, deputy_id=deputy_id, starts=starts, ends=ends, note=note)
    session.add(delegation)
    session.flush()
    return delegation


def delete_delegation(session: Session, delegation: Delegation) -> None:
    session.delete(delegation)
    session.flush()


# --- periods ------------------------------------------------------------------------------------------

def save_period(session: Session, period: Period | None, *, code: str, name: str, kind: str, year: int | None,
                starts: date | None, ends: date | None, submission_opens: date | None,
                submission_closes: date | None) -> Period:
    """Creates or changes an emulation period and its submission window."""
    p = _Problems()
    code = p.code("code", code, 32)
    p.unique(session, "code", Period.code, code, period)
    name = p.text("name", name, 300)
    if kind not in ("year", "movement"):
        p.add("kind", "Hãy chọn năm hoặc phong trào", "Choose year or movement")
    if year is not None and not 1900 <= year <= 2999:
        p.add("year", "Năm từ 1900 đến 2999", "A year from 1900 to 2999")
    elif year is None and kind == "year":
        p.add("year", "Kỳ thi đua theo năm cần năm", "A yearly period needs its year")
    dates = {"starts": starts, "ends": ends, "submission_opens": submission_opens,
             "submission_closes": submission_closes}
    for name_, day in dates.items():
        if day is None:
            p.add(name_, "Hãy nhập ngày", "Give a date")
    if starts and ends and ends < starts:
        p.add("ends", "Kỳ kết thúc trước khi bắt đầu", "The period ends before it starts")
    if submission_opens and submission_closes and submission_closes < submission_opens:
        p.add("submission_closes", "Hạn nộp đóng trước khi mở", "The submission window closes before it opens")
    if kind == "year" and year and starts and starts.year != year:
        p.add("starts", f"Kỳ năm {year} phải bắt đầu trong năm {year}", f"The {year} period must start in {year}")
    p.check()
    period = period or Period(code=code, name=name, starts=starts, ends=ends, submission_opens=submission_opens,
                              submission_closes=submission_closes)
    period.code, period.name, period.kind, period.year = code, name, kind, year
    for key, day in dates.items():
        setattr(period, key, day)
    session.add(period)
    session.flush()
    return period


# --- the catalogue in words ------------------------------------------------------------------------

def _pct(share: float) -> str:
    return f"{share * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _award(catalogue: Catalogue, code: str | None) -> Label:
    return catalogue.award(code).name if code in catalogue.awards else Label(vi=code or "?", en=code or "?")


def describe_vote(vote: VoteRule) -> Label:
    of_vi, of_en = ("số thành viên biểu quyết", "of those voting") if vote.of == "present" else \
        ("tổng số thành viên", "of all members")
    ballot_vi, ballot_en = ("bỏ phiếu kín", "secret ballot") if vote.ballot == "secret" else \
        ("biểu quyết công khai", "open vote")
    return Label(vi=f"Có mặt ít nhất {_pct(vote.quorum)} thành viên; đồng ý từ {_pct(vote.threshold)} {of_vi}; "
                    f"{ballot_vi}",
                 en=f"Quorum {_pct(vote.quorum)} of members; at least {_pct(vote.threshold)} {of_en} agree; "
                    f"{ballot_en}")


def describe_prerequisite(pre: Prerequisite, catalogue: Catalogue) -> Label:
    """One prerequisite as a sentence (vi/en)."""
    levels, discipline = catalogue.schema.levels, catalogue.schema.discipline
    if pre.holds:
        a = _award(catalogue, pre.holds)
        return Label(vi=f"Đạt “{a.vi}” cùng kỳ", en=f"Holds “{a.en}” in the same period")
    if pre.held:
        a = _award(catalogue, pre.held)
        return Label(vi=f"Đã đạt “{a.vi}” {pre.consecutive_periods} kỳ liên tục trước đó",
                     en=f"Held “{a.en}” in each of the {pre.consecutive_periods} previous periods")
    if pre.initiative:
        lv = levels.get(pre.initiative, Label(vi=pre.initiative, en=pre.initiative))
        return Label(vi=f"Có sáng kiến được công nhận từ {lv.vi.lower()} trở lên",
                     en=f"An initiative recognised at {lv.en.lower()} or above")
    if pre.no_discipline:
        d = discipline.get(pre.no_discipline, Label(vi=pre.no_discipline, en=pre.no_discipline))
        return Label(vi=f"Không bị kỷ luật từ mức “{d.vi}” trở lên",
                     en=f"No discipline of “{d.en}” or more severe")
    a = _award(catalogue, pre.members_holding)
    if pre.share is not None:
        return Label(vi=f"Ít nhất {_pct(pre.share)} thành viên đạt “{a.vi}”",
                     en=f"At least {_pct(pre.share)} of the members hold “{a.en}”")
    return Label(vi=f"Ít nhất {pre.at_least} thành viên đạt “{a.vi}”",
                 en=f"At least {pre.at_least} of the members hold “{a.en}”")


def describe_quota(quota: Quota, catalogue: Catalogue) -> Label:
    per_vi, per_en = ("mỗi đơn vị", "per unit") if quota.per == "unit" else ("mỗi cụm", "per cluster")
    if quota.max is not None:
        vi, en = f"Tối đa {quota.max} {per_vi}", f"At most {quota.max} {per_en}"
    else:
        if quota.of == "holders":
            a = _award(catalogue, quota.award)
            base_vi, base_en = f"số người đạt “{a.vi}”", f"of the holders of “{a.en}”"
        elif quota.of == "members":
            base_vi, base_en = "số thành viên", "of the members"
        else:
            base_vi, base_en = "số đơn vị trong cụm", "of the cluster's units"
        vi, en = f"Tối đa {_pct(quota.share)} {base_vi}, {per_vi}", f"At most {_pct(quota.share)} {base_en}, {per_en}"
    if quota.minimum:
        vi, en = f"{vi} (không dưới {quota.minimum})", f"{en} (never below {quota.minimum})"
    return Label(vi=vi, en=en)


# --- deployed workflows -----------------------------------------------------------------------------

@dataclass
class DeployedWorkflow:
    """One deployed version of a workflow: does it still load, and is it what the folder holds?"""

    workflow_id: str
    version: int
    current: bool
    deployed_at: datetime
    path: str
    spec: object | None                     # the WorkflowSpec, when it loads
    problems: list[Problem] = field(default_factory=list)
    in_folder: bool = False                 # the definitions folder holds this very version

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.problems


def deployed_workflows(session: Session, domain) -> tuple[list[DeployedWorkflow], list[str]]:
    """Every deployed version (newest first per workflow), each loaded from its stored source
    with its problems (``path:line``), plus the folder's problems for the version the folder
    holds; and the ids of workflows in the folder that were never deployed."""
    definitions, registry = domain.definitions, domain.registry
    folder = definitions.workflows
    rows = session.scalars(select(WorkflowDefinition).order_by(WorkflowDefinition.workflow_id,
                                                               WorkflowDefinition.version.desc())).all()
    found = []
    for row in rows:
        if definitions.vocabulary is None:
            spec, problems = None, [Problem(row.path, 0, "the vocabulary does not load: nothing can be checked")]
        else:
            spec, problems = load_workflow(row.path, definitions.vocabulary, registry, text=row.source)
        here = folder.get(row.workflow_id)
        in_folder = here is not None and here.version == row.version and here.hash == row.hash
        if in_folder:
            problems = problems + [p for p in domain.problems if p.path == here.path and p not in problems]
        found.append(DeployedWorkflow(row.workflow_id, row.version, row.current, row.deployed_at, row.path, spec,
                                      problems, in_folder))
    deployed = {r.workflow_id for r in rows}
    return found, sorted(set(folder) - deployed)


# --- the organisation as a file --------------------------------------------------------------------

@dataclass
class ImportOutcome:
    """What importing a file gave: its problems (nothing written) or what it changed."""

    problems: list[Problem]
    summary: ImportSummary | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _upload_name(filename: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename or "").name).strip("._") or "upload"
    return name[-100:]


def import_organisation(session: Session, content: bytes, filename: str, *, catalogue: Catalogue,
                        role_names: Iterable[str], hash_password: Callable[[str], str]) -> ImportOutcome:
    """Reads an uploaded organisation file (.yaml, .xlsx, or one section's .csv named after it),
    checks it and applies it in the caller's transaction. Problems name the uploaded file."""
    name = _upload_name(filename)
    if not name.lower().endswith(_UPLOAD_SUFFIXES):
        return ImportOutcome([Problem(name, 0, "give a .yaml, .xlsx or .csv file")])
    roles = set(role_names)
    with tempfile.TemporaryDirectory(prefix="laurel-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        data, problems = read_organisation(path)
        if data is not None:
            problems = problems + check_organisation(session, data, catalogue=catalogue, role_names=roles)
        if data is None or problems:
            return ImportOutcome(_shown(problems, str(path), name))
        try:
            summary = apply_organisation(session, data, catalogue=catalogue, role_names=roles,
                                         hash_password=hash_password)
        except ImportRefused as refused:
            return ImportOutcome(_shown(refused.problems, str(path), name))
    return ImportOutcome([], summary)


def _shown(problems: Iterable[Problem], path: str, name: str) -> list[Problem]:
    return sorted((Problem(name if p.path.startswith(path) else p.path, p.line,
                           p.message.replace(path, name)) for p in problems),
                  key=lambda p: (p.path, p.line, p.message))


def export_file(session: Session, fmt: str) -> bytes:
    """The organisation as one file: 'yaml' or 'xlsx' (no passwords)."""
    if fmt not in EXPORT_FORMATS:
        raise DomainError("Chỉ xuất ra YAML hoặc XLSX", "Export as YAML or XLSX")
    with tempfile.TemporaryDirectory(prefix="laurel-export-") as folder:
        path = Path(folder) / f"organisation.{fmt}"
        export_organisation(session, path)
        return path.read_bytes()


def counts(session: Session) -> dict[str, int]:
    """How many of each thing the organisation holds (for the administration's start page)."""
    return {name: session.scalar(select(func.count()).select_from(model)) for name, model in (
        ("bodies", Body), ("councils", Council), ("clusters", Cluster), ("users", User), ("periods", Period),
        ("delegations", Delegation))}
