"""Tables of the commendation domain.

Organisation (bodies, councils, clusters, people, users, roles, delegations), periods,
nominations and their dossiers, cluster review, council sessions and ballots, award history
and decisions. The state of a nomination or a decision is never stored here: it lives in the
engine's ``workflow_instance`` the row points to.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from .text import nfc, search_key

__all__ = [
    "Body", "Council", "Cluster", "ClusterMembership", "ClusterLeadership", "Person", "User",
    "RoleAssignment", "Delegation", "Period", "Covenant", "ClusterScore", "AcclaimVote", "ClusterResult",
    "Submission", "Nomination", "Blob", "Attachment", "PublicComment", "AwardRecord", "Initiative",
    "Discipline", "CouncilSession", "AgendaItem", "Attendance", "BallotCast", "OpenVote", "SecretVote",
    "Tally", "Decision", "DecisionCounter", "DecisionItem", "DecisionDocument", "Notification",
]


# --- organisation ---------------------------------------------------------------------------

class Body(SQLModel, table=True):
    """Cơ quan, đơn vị: an organisation (a commission, a provincial committee, a department).

    Bodies nest through ``parent_id``; ``level`` is a catalogue level (unit, province, …).
    """

    __tablename__ = "body"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    short_name: str | None = Field(default=None, max_length=120)
    search_name: str = Field(default="", max_length=300, index=True)  # set from name, see below
    level: str = Field(max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="body.id", index=True)
    place: str | None = Field(default=None, max_length=120)  # for the decision's "Thái Bình, ngày …"
    document_symbol: str | None = Field(default=None, max_length=32)  # as in 125/QĐ-BTCTU


class Council(SQLModel, table=True):
    """Hội đồng Thi đua - Khen thưởng: the emulation and commendation council of a body."""

    __tablename__ = "council"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    body_id: int = Field(foreign_key="body.id", unique=True)


class Cluster(SQLModel, table=True):
    """Cụm (by geography) or khối (by sector) thi đua, set up by a council."""

    __tablename__ = "cluster"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    kind: str = Field(default="cluster", max_length=16)  # cluster | block
    council_id: int = Field(foreign_key="council.id", index=True)


class ClusterMembership(SQLModel, table=True):
    __tablename__ = "cluster_membership"

    cluster_id: int = Field(foreign_key="cluster.id", primary_key=True)
    body_id: int = Field(foreign_key="body.id", primary_key=True, index=True)


class ClusterLeadership(SQLModel, table=True):
    """The member units elected cluster head (cụm trưởng) and deputy (cụm phó) for a period."""

    __tablename__ = "cluster_leadership"

    cluster_id: int = Field(foreign_key="cluster.id", primary_key=True)
    period_id: int = Field(foreign_key="period.id", primary_key=True)
    head_body_id: int = Field(foreign_key="body.id")
    deputy_body_id: int | None = Field(default=None, foreign_key="body.id")


class Person(SQLModel, table=True):
    """A person who may be nominated: name, position, and the unit they work in."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=200)
    search_name: str = Field(default="", max_length=200, index=True)  # set from full_name, see below
    position: str | None = Field(default=None, max_length=200)
    body_id: int = Field(foreign_key="body.id", index=True)


class User(SQLModel, table=True):
    """Someone who signs in; may be linked to the person they are."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    password_hash: str = Field(max_length=256)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    active: bool = Field(default=True)


class RoleAssignment(SQLModel, table=True):
    """A role held by a user, scoped to a body (unit), a cluster or a council, optionally for a
    date range. ``scope_kind`` 'global' (no scope id) is for administrators."""

    __tablename__ = "role_assignment"
    __table_args__ = (Index("ix_role_assignment_scope", "scope_kind", "scope_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: str = Field(max_length=32)
    scope_kind: str = Field(max_length=16)  # body | cluster | council | global
    scope_id: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class Delegation(SQLModel, table=True):
    """Ủy quyền: ``deputy`` acts for ``principal`` (all of the principal's roles) between two dates."""

    __tablename__ = "delegation"

    id: int | None = Field(default=None, primary_key=True)
    principal_id: int = Field(foreign_key="app_user.id", index=True)
    deputy_id: int = Field(foreign_key="app_user.id", index=True)
    starts: date
    ends: date
    note: str | None = Field(default=None, max_length=500)


# --- periods and clusters -------------------------------------------------------------------

class Period(SQLModel, table=True):
    """An emulation period: a year, or a themed movement, with its submission window."""

    __tablename__ = "period"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=300)
    kind: str = Field(default="year", max_length=16)  # year | movement
    year: int | None = Field(default=None, index=True)
    starts: date
    ends: date
    submission_opens: date
    submission_closes: date


class Covenant(SQLModel, table=True):
    """Giao ước thi đua: a cluster's pledged criteria for a period, with weights and scale."""

    __tablename__ = "covenant"

    cluster_id: int = Field(foreign_key="cluster.id", primary_key=True)
    period_id: int = Field(foreign_key="period.id", primary_key=True)
    criteria: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    scale_max: int
    leading_units: int = Field(default=1)  # how many units the cluster acclaims
    signed_on: date | None = None


class ClusterScore(SQLModel, table=True):
    """Chấm điểm: one member's score of another member on one covenant criterion."""

    __tablename__ = "cluster_score"
    __table_args__ = (UniqueConstraint("cluster_id", "period_id", "scorer_body_id", "scored_body_id",
                                       "criterion"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id")
    period_id: int = Field(foreign_key="period.id")
    scorer_body_id: int = Field(foreign_key="body.id")
    scored_body_id: int = Field(foreign_key="body.id")
    criterion: str = Field(max_length=64)
    value: float


class AcclaimVote(SQLModel, table=True):
    """Suy tôn: a member unit's vote for a unit it proposes as the cluster's leading unit."""

    __tablename__ = "acclaim_vote"
    __table_args__ = (UniqueConstraint("cluster_id", "period_id", "voter_body_id", "candidate_body_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id")
    period_id: int = Field(foreign_key="period.id")
    voter_body_id: int = Field(foreign_key="body.id")
    candidate_body_id: int = Field(foreign_key="body.id")


class ClusterResult(SQLModel, table=True):
    """The data of the cluster conference's minutes: scores, votes, ranking, acclaimed units."""

    __tablename__ = "cluster_result"

    cluster_id: int = Field(foreign_key="cluster.id", primary_key=True)
    period_id: int = Field(foreign_key="period.id", primary_key=True)
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    acclaimed: list[int] = Field(sa_column=Column(JSON, nullable=False))  # body ids
    recorded_at: datetime
    recorded_by: int = Field(foreign_key="app_user.id")


# --- nominations and dossiers ---------------------------------------------------------------

class Submission(SQLModel, table=True):
    """Tờ trình: a unit's proposal to a council in a period, carrying many nominees."""

    __tablename__ = "submission"

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    title: str = Field(max_length=500)
    reference: str | None = Field(default=None, max_length=64)  # the letter's own number
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime


class Nomination(SQLModel, table=True):
    """Đề nghị khen thưởng: one nominee (a person, or a unit as a collective) for one award."""

    __tablename__ = "nomination"
    __table_args__ = (Index("ix_nomination_line", "period_id", "award_line", "person_id", "nominee_body_id"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    period_id: int = Field(foreign_key="period.id")
    council_id: int = Field(foreign_key="council.id", index=True)
    proposer_body_id: int = Field(foreign_key="body.id", index=True)
    award_code: str = Field(max_length=32, index=True)
    award_line: str = Field(max_length=64)
    subject_kind: str = Field(max_length=16)  # individual | collective
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    nominee_body_id: int | None = Field(default=None, foreign_key="body.id", index=True)
    achievements: str | None = Field(default=None, sa_column=Column(Text))
    instance_id: int | None = Field(default=None, foreign_key="workflow_instance.id", unique=True)  # set on creation
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime


class Blob(SQLModel, table=True):
    """A stored file, by the SHA-256 of its content (stored once however often attached)."""

    __tablename__ = "blob"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    file_type: str = Field(max_length=16)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Attachment(SQLModel, table=True):
    """A dossier document attached to a nomination or to its submission."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int | None = Field(default=None, foreign_key="nomination.id", index=True)
    submission_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
    kind: str = Field(max_length=64)
    sha256: str = Field(foreign_key="blob.sha256", max_length=64)
    filename: str = Field(max_length=255)
    uploaded_by: int = Field(foreign_key="app_user.id")
    uploaded_at: datetime


class PublicComment(SQLModel, table=True):
    """A comment received while a nomination was posted publicly (công khai), as recorded."""

    __tablename__ = "public_comment"

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    author: str | None = Field(default=None, max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    received_on: date
    recorded_by: int = Field(foreign_key="app_user.id")


# --- history of awards, initiatives, discipline ------------------------------------------------

class AwardRecord(SQLModel, table=True):
    """An award held: by a person or a unit, for a period, granted by a decision (or imported)."""

    __tablename__ = "award_record"
    __table_args__ = (Index("ix_award_record_holder", "award_code", "period_id", "person_id", "body_id"),)

    id: int | None = Field(default=None, primary_key=True)
    award_code: str = Field(max_length=32)
    period_id: int = Field(foreign_key="period.id")
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    body_id: int | None = Field(default=None, foreign_key="body.id", index=True)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    decision_number: str | None = Field(default=None, max_length=64)
    awarded_on: date
    nomination_id: int | None = Field(default=None, foreign_key="nomination.id")
    revoked_by_decision_id: int | None = Field(default=None, foreign_key="decision.id")


class Initiative(SQLModel, table=True):
    """Sáng kiến: an initiative recognised for a person, at a level (unit, province, …)."""

    __tablename__ = "initiative"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    period_id: int = Field(foreign_key="period.id")
    title: str = Field(max_length=500)
    level: str = Field(max_length=32)
    recognised_on: date


class Discipline(SQLModel, table=True):
    """Kỷ luật: a disciplinary measure taken against a person in a period."""

    __tablename__ = "discipline"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    period_id: int = Field(foreign_key="period.id")
    level: str = Field(max_length=32)
    decided_on: date
    note: str | None = Field(default=None, max_length=500)


# --- council sessions and ballots ------------------------------------------------------------

class CouncilSession(SQLModel, table=True):
    """Phiên họp Hội đồng: an agenda of nominations, attendance, ballots; tallied when closed."""

    __tablename__ = "council_session"

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    period_id: int = Field(foreign_key="period.id")
    title: str = Field(max_length=300)
    held_on: date
    status: str = Field(default="open", max_length=16)  # open | closed
    members_total: int | None = None      # frozen when the session closes
    members_present: int | None = None
    quorum_met: bool | None = None
    opened_by: int = Field(foreign_key="app_user.id")
    closed_at: datetime | None = None


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"

    session_id: int = Field(foreign_key="council_session.id", primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", primary_key=True, index=True)
    position: int


class Attendance(SQLModel, table=True):
    """Who of the council attends a session (present in person)."""

    __tablename__ = "attendance"

    session_id: int = Field(foreign_key="council_session.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)


class BallotCast(SQLModel, table=True):
    """That a member voted in a session (once), in person or in writing — never how."""

    __tablename__ = "ballot_cast"

    session_id: int = Field(foreign_key="council_session.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    written: bool = Field(default=False)  # an absent member's written vote


class OpenVote(SQLModel, table=True):
    """A vote in an open ballot: who voted how on which nominee."""

    __tablename__ = "open_vote"

    session_id: int = Field(foreign_key="council_session.id", primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    choice: str = Field(max_length=16)  # agree | disagree | abstain


def _random_key() -> str:
    return uuid.uuid4().hex


class SecretVote(SQLModel, table=True):
    """A vote in a secret ballot: which nominee and how — no member, no time, no sequence.

    The key is random, and on SQLite the table has no rowid, so neither key nor storage order
    follows the order votes were cast; closing the session rewrites the votes in random order.
    """

    __tablename__ = "secret_vote"
    __table_args__ = ({"sqlite_with_rowid": False},)

    key: str = Field(default_factory=_random_key, primary_key=True, max_length=32)
    session_id: int = Field(foreign_key="council_session.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id")
    choice: str = Field(max_length=16)


class Tally(SQLModel, table=True):
    """The count for one nominee when its session closed, against the award's threshold."""

    __tablename__ = "tally"

    session_id: int = Field(foreign_key="council_session.id", primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", primary_key=True, index=True)
    agree: int
    disagree: int
    abstain: int
    base: int          # the number the threshold is a share of (voters, or all members)
    threshold: float
    ballot: str = Field(max_length=16)
    passed: bool


# --- decisions ---------------------------------------------------------------------------------

class Decision(SQLModel, table=True):
    """Quyết định: grants awards to nominations, or revokes an earlier decision."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    period_id: int = Field(foreign_key="period.id")
    kind: str = Field(default="award", max_length=16)  # award | revocation
    title: str = Field(max_length=500)
    revokes_id: int | None = Field(default=None, foreign_key="decision.id")
    number: str | None = Field(default=None, max_length=64)  # assigned when issued
    issued_on: date | None = None
    instance_id: int | None = Field(default=None, foreign_key="workflow_instance.id", unique=True)  # set on creation
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime


class DecisionCounter(SQLModel, table=True):
    """The last number given to a decision of a body in a year (numbers restart each year)."""

    __tablename__ = "decision_counter"

    body_id: int = Field(foreign_key="body.id", primary_key=True)
    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class DecisionItem(SQLModel, table=True):
    __tablename__ = "decision_item"

    decision_id: int = Field(foreign_key="decision.id", primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", primary_key=True, index=True)


class DecisionDocument(SQLModel, table=True):
    """The signed PDF of an issued decision: stored once, at issue, and never changed (database
    triggers refuse updates and deletes); every download serves exactly these bytes. The short
    ``verify_code`` is printed on the decision and names its public verification page."""

    __tablename__ = "decision_document"

    decision_id: int = Field(foreign_key="decision.id", primary_key=True)
    verify_code: str = Field(max_length=16, unique=True)
    sha256: str = Field(max_length=64, unique=True)
    size: int
    pages: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    signer_id: int | None = Field(default=None, foreign_key="app_user.id")
    signer_name: str = Field(max_length=200)
    test_key: bool  # signed with a key of the local test CA: integrity only, not legally binding
    signed_at: datetime


# --- notifications ------------------------------------------------------------------------------

class Notification(SQLModel, table=True):
    """Thông báo: a message to one user about a nomination or a decision — it awaits them, or
    it changed — shown in the app, and mailed once when they have an email address."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),
                      Index("ix_notification_outbox", "emailed_at", "read_at"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    kind: str = Field(max_length=16)  # awaits | changed | overdue
    subject_kind: str = Field(max_length=16)  # nomination | decision
    subject_id: int
    text_vi: str = Field(sa_column=Column(Text, nullable=False))
    text_en: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    read_at: datetime | None = None
    emailed_at: datetime | None = None  # set when claimed for mailing (compare-and-swap: mailed once)


@event.listens_for(Body, "before_insert")
@event.listens_for(Body, "before_update")
def _body_search_name(_mapper, _connection, body: Body) -> None:
    body.name = nfc(body.name)
    body.search_name = search_key(body.name)


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _person_search_name(_mapper, _connection, person: Person) -> None:
    person.full_name = nfc(person.full_name)
    person.search_name = search_key(person.full_name)
