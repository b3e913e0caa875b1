"""Notifications (thông báo): after each event on a nomination or a decision, tell the people who
may act next that it awaits them, and its proposer and the unit's officers what changed — never
the person who acted. Shown in the app (unread first), and mailed once from an outbox.

The engine calls ``on_event`` (an observer that ``register`` adds to the registry) in the
transaction that wrote the event, so a notification exists exactly when its event does. Who
"may act next" is the worklist's notion: one of their roles, in the item's scope, offers a task
in the item's new state (whatever its guards say), for themselves or for someone whose deputy
they are that day.

Mailing: ``send_outbox`` claims each unsent notification with a compare-and-swap on
``emailed_at`` (so two runs, even at once, mail it once), then hands the message to ``send``.
A claim is released when sending fails for a reason that may pass (the server is down), so the
next run tries again; a recipient the server refuses is not tried again.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..actor import SYSTEM_ROLE
from .models import ClusterMembership, Decision, Delegation, Nomination, Notification, RoleAssignment, User
from .nominations import nominee_name
from .organisation import UNIT_ROLES, RoleBook, scope_of
from .worklist import awaiting_actions  # the worklist's "awaits": one notion, one place

if TYPE_CHECKING:
    from ..context import Context
    from ..models import WorkflowInstance
    from ..registry import Registry
    from ..store import EventRecord

__all__ = ["AWAITS", "CHANGED", "OVERDUE", "register", "on_event", "listed", "count_listed", "unread_count",
           "mark_read", "mark_all_read", "outbox", "claim", "release", "compose", "send_outbox", "SendReport"]

log = logging.getLogger(__name__)

AWAITS, CHANGED, OVERDUE = "awaits", "changed", "overdue"
NOMINATION, DECISION = "nomination", "decision"
CLUSTER_ROLES = frozenset({"cluster_head", "cluster_deputy", "cluster_member"})
_NOMINATION_SUBJECTS = frozenset({"individual", "collective"})
_COMMENT = 300  # characters of the actor's comment quoted in a notification
_SUBJECTS = {AWAITS: "Chờ bạn xử lý", OVERDUE: "Quá hạn", CHANGED: "Cập nhật"}  # a mail's subject starts so


@dataclass(frozen=True)
class Text:
    """A sentence in Vietnamese and English (any length: not a definition's Label)."""

    vi: str
    en: str


def register(registry: "Registry") -> None:
    registry.observer(on_event)


# --- who is told what ------------------------------------------------------------------------------

def _subject(session: Session, instance: "WorkflowInstance") -> tuple[str, Nomination | Decision] | None:
    """The nomination or decision an instance runs for (None for any other instance)."""
    ref = instance.subject_ref
    if not ref or not ref.isdigit():
        return None
    if instance.subject_kind == "decision":
        kind, model = DECISION, Decision
    elif instance.subject_kind in _NOMINATION_SUBJECTS:
        kind, model = NOMINATION, Nomination
    else:
        return None
    subject = session.get(model, int(ref))
    if subject is None or subject.instance_id not in (None, instance.id):  # None: being started
        return None
    return kind, subject


def _valid_on(on: date):
    return (or_(RoleAssignment.valid_from.is_(None), RoleAssignment.valid_from <= on),
            or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= on))


def _candidates(session: Session, scope: dict, roles: set[str], on: date) -> set[int]:
    """Everyone who may hold one of ``roles`` in the item's scope (a superset: RoleBook decides)."""
    kind, scope_id, role = RoleAssignment.scope_kind, RoleAssignment.scope_id, RoleAssignment.role
    held = set(roles)
    where = [kind == "global"]
    if scope.get("body_id") is not None:
        where.append((kind == "body") & (scope_id == scope["body_id"]))
    if scope.get("council_id") is not None:
        where.append((kind == "council") & (scope_id == scope["council_id"]))
    clusters = list(scope.get("cluster_ids") or ())
    if clusters:
        where.append((kind == "cluster") & scope_id.in_(clusters))
        if held & CLUSTER_ROLES:  # derived from the member units' heads and officers
            held |= UNIT_ROLES
            members = select(ClusterMembership.body_id).where(ClusterMembership.cluster_id.in_(clusters))
            where.append((kind == "body") & scope_id.in_(members))
    return set(session.scalars(select(RoleAssignment.user_id).where(
        or_(*where), role.in_(held), *_valid_on(on)).distinct()))


def _awaiting(ctx: "Context", scope: dict, state: str) -> dict[int, tuple[tuple[Text, ...], int | None]]:
    """user id → (the actions awaiting them, the principal they would act for or None)."""
    spec, session, on = ctx.spec, ctx.session, ctx.now.date()
    if spec.states[state].final:
        return {}
    roles = {r for ts in spec.candidates.get(state, {}).values() for t in ts if t.task for r in t.roles}
    roles.discard(SYSTEM_ROLE)
    if not roles:
        return {}
    found: dict[int, tuple[tuple[Text, ...], int | None]] = {}
    for user_id in sorted(_candidates(session, scope, roles, on)):
        actions = awaiting_actions(ctx.engine, session, ctx.instance, RoleBook(session, user_id, on).roles(**scope))
        if actions:
            found[user_id] = (actions, None)
    if found:
        for deputy, principal in session.execute(select(Delegation.deputy_id, Delegation.principal_id).where(
                Delegation.principal_id.in_(list(found)), Delegation.starts <= on, Delegation.ends >= on)
                .order_by(Delegation.id)):
            found.setdefault(deputy, (found[principal][0], principal))
    return found


def _informed(session: Session, kind: str, subject: Nomination | Decision, instance: "WorkflowInstance",
              on: date) -> set[int]:
    """The proposer (and whoever they acted for) and, for a nomination, the unit's officers."""
    people = {int(i) for i in (instance.proposer_id, instance.proposer_for_id) if i and i.isdigit()}
    if kind == NOMINATION:
        people |= set(session.scalars(select(RoleAssignment.user_id).where(
            RoleAssignment.role == "unit_officer", RoleAssignment.scope_kind == "body",
            RoleAssignment.scope_id == subject.proposer_body_id, *_valid_on(on))))
    return people


# --- what they are told ----------------------------------------------------------------------------

def _title(ctx: "Context", kind: str, subject: Nomination | Decision) -> Text:
    if kind == DECISION:
        title = subject.title + (f" ({subject.number})" if subject.number else "")
        return Text(vi=title, en=title)
    name = nominee_name(ctx.session, subject)
    catalogue = ctx.services.get("catalogue")
    award = catalogue.award(subject.award_code).name if catalogue and subject.award_code in catalogue.awards \
        else Text(vi=subject.award_code, en=subject.award_code)
    return Text(vi=f"{name} — {award.vi}", en=f"{name} — {award.en}")


def _who(ctx: "Context") -> Text:
    actor = ctx.actor
    name = actor.name or ("Laurel" if actor.id == "system" else actor.id)
    if actor.acting_for and actor.acting_for.isdigit():
        principal = ctx.session.get(User, int(actor.acting_for))
        if principal is not None:
            return Text(vi=f"{name} (thay {principal.display_name})", en=f"{name} (for {principal.display_name})")
    return Text(vi=name, en=name)


def _action_label(ctx: "Context", record: "EventRecord") -> Text:
    candidates = ctx.spec.candidates.get(record.from_state or "", {}).get(record.trigger or "", [])
    chosen = next((t for t in candidates if t.to == record.to_state), candidates[0] if candidates else None)
    return chosen.label if chosen else Text(vi=record.trigger or "", en=record.trigger or "")


def _change(ctx: "Context", record: "EventRecord") -> Text | None:
    """What happened, in a sentence (None for an event nobody is told about as a change)."""
    state = ctx.spec.states[record.to_state].label
    if record.kind == "transition":
        who, action = _who(ctx), _action_label(ctx, record)
        vi = f"{who.vi} đã “{action.vi}” — nay ở bước “{state.vi}”."
        en = f"{who.en} did “{action.en}” — now at “{state.en}”."
        if record.comment:
            comment = record.comment if len(record.comment) <= _COMMENT else record.comment[:_COMMENT] + "…"
            vi, en = f"{vi} Ý kiến: {comment}", f"{en} Comment: {comment}"
        return Text(vi=vi, en=en)
    if record.kind == "migration" and record.from_state != record.to_state:
        return Text(vi=f"Chuyển sang phiên bản {record.workflow_version} của quy trình — nay ở bước “{state.vi}”.",
                     en=f"Moved to version {record.workflow_version} of the procedure — now at “{state.en}”.")
    return None


def _waiting_text(ctx: "Context", record: "EventRecord", actions: tuple[Text, ...], principal: int | None) -> Text:
    state = ctx.spec.states[record.to_state].label
    vi = "; ".join(f"“{a.vi}”" for a in actions)
    en = "; ".join(f"“{a.en}”" for a in actions)
    if record.kind == "reminder":
        vi, en = f"Bước “{state.vi}” đã quá hạn — chờ bạn: {vi}.", f"“{state.en}” is overdue — awaiting you: {en}."
    else:
        vi, en = f"Chờ bạn: {vi}.", f"Awaiting you: {en}."
    if principal is not None:
        user = ctx.session.get(User, principal)
        vi, en = f"{vi} (thay {user.display_name}, theo ủy quyền)", f"{en} (for {user.display_name}, by delegation)"
    return Text(vi=vi, en=en)


def on_event(ctx: "Context", record: "EventRecord") -> None:
    """The observer: writes the notifications one event calls for, in the event's transaction."""
    found = _subject(ctx.session, ctx.instance)
    if found is None:
        return
    kind, subject = found
    session, on = ctx.session, ctx.now.date()
    scope = scope_of(session, subject)
    change = _change(ctx, record)
    awaiting = {} if record.kind == "migration" and change is None else _awaiting(ctx, scope, record.to_state)
    informed = _informed(session, kind, subject, ctx.instance, on) if change is not None else set()
    actor = {int(ctx.actor.id)} if ctx.actor.id.isdigit() else set()
    recipients = (set(awaiting) | informed) - actor
    if not recipients:
        return
    active = set(session.scalars(select(User.id).where(User.id.in_(recipients), User.active.is_(True))))
    title = _title(ctx, kind, subject)
    for user_id in sorted(active):
        parts = [change] if change is not None else []
        if user_id in awaiting:
            parts.append(_waiting_text(ctx, record, *awaiting[user_id]))
            what = OVERDUE if record.kind == "reminder" else AWAITS
        else:
            what = CHANGED
        session.add(Notification(
            user_id=user_id, kind=what, subject_kind=kind, subject_id=subject.id, created_at=ctx.now,
            text_vi=f"{title.vi}: " + " ".join(p.vi for p in parts),
            text_en=f"{title.en}: " + " ".join(p.en for p in parts)))
    session.flush()


# --- reading and marking -------------------------------------------------------------------------

def listed(session: Session, user_id: int, *, kind: str | None = None, unread_only: bool = False,
           limit: int = 50, offset: int = 0) -> list[Notification]:
    """A user's notifications: unread first, newest first."""
    query = _mine(user_id, kind, unread_only)
    return list(session.scalars(query.order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                                               Notification.id.desc()).limit(limit).offset(offset)))


def count_listed(session: Session, user_id: int, *, kind: str | None = None, unread_only: bool = False) -> int:
    return session.scalar(select(func.count()).select_from(_mine(user_id, kind, unread_only).subquery()))


def _mine(user_id: int, kind: str | None, unread_only: bool):
    query = select(Notification).where(Notification.user_id == user_id)
    if kind == AWAITS:  # an overdue item awaits too
        query = query.where(Notification.kind.in_((AWAITS, OVERDUE)))
    elif kind:
        query = query.where(Notification.kind == kind)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_read(session: Session, user_id: int, notification_id: int, now: datetime) -> Notification | None:
    """Marks one of the user's notifications read; None when it is not theirs (or does not exist)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        return None
    if notification.read_at is None:
        notification.read_at = now
    return notification


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    return session.execute(update(Notification).where(Notification.user_id == user_id,
                                                      Notification.read_at.is_(None))
                           .values(read_at=now)).rowcount


# --- the outbox ----------------------------------------------------------------------------------

def outbox(session: Session, *, after_id: int = 0, limit: int = 200) -> list[int]:
    """Ids of notifications still to mail: not mailed, not read yet, to an active user with an email."""
    return list(session.scalars(
        select(Notification.id).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None), Notification.id > after_id,
               User.active.is_(True), User.email.is_not(None), User.email != "")
        .order_by(Notification.id).limit(limit)))


def claim(session: Session, notification_id: int, now: datetime) -> bool:
    """Takes a notification for mailing (compare-and-swap): True for exactly one caller."""
    return session.execute(update(Notification).where(Notification.id == notification_id,
                                                      Notification.emailed_at.is_(None))
                           .values(emailed_at=now)).rowcount == 1


def release(session: Session, notification_id: int) -> None:
    """Gives a claimed notification back to the outbox (its mail could not be sent)."""
    session.execute(update(Notification).where(Notification.id == notification_id).values(emailed_at=None))


def compose(notification: Notification, user: User, *, base_url: str, sender: str) -> EmailMessage:
    """The mail: Vietnamese, then English, with a link that opens the item (and marks it read)."""
    link = f"{base_url.rstrip('/')}/notifications/{notification.id}/open"
    subject = f"{_SUBJECTS.get(notification.kind, 'Thông báo')}: {notification.text_vi}"
    message = EmailMessage()
    message["Subject"] = "[Laurel] " + (subject if len(subject) <= 120 else subject[:119] + "…")
    message["From"] = sender
    message["To"] = user.email
    message.set_content(
        f"Kính gửi {user.display_name},\n\n{notification.text_vi}\n\nXem chi tiết: {link}\n\n"
        "— Laurel, phần mềm thi đua, khen thưởng (thư tự động, xin đừng trả lời)\n\n"
        "----------------------------------------\n\n"
        f"Dear {user.display_name},\n\n{notification.text_en}\n\nOpen it: {link}\n\n"
        "— Laurel, emulation and commendation (an automatic message; please do not reply)\n")
    return message


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    refused: int = 0   # the server refused the recipient: not tried again
    taken: int = 0     # claimed meanwhile by another run


def send_outbox(sessions: sessionmaker[Session], send: Callable[[EmailMessage], object], *, base_url: str,
                sender: str, now: datetime) -> SendReport:
    """Mails every notification in the outbox once: claim (committed), compose, ``send``.

    ``sessions`` should be write sessions (on SQLite a claim takes the write lock at once). An
    error other than a refused recipient gives the claim back and stops the run (raised)."""
    sent = refused = taken = 0
    after = 0
    while True:
        with sessions() as session:
            ids = outbox(session, after_id=after)
        if not ids:
            return SendReport(sent, refused, taken)
        for notification_id in ids:
            with sessions.begin() as session:
                if not claim(session, notification_id, now):
                    taken += 1
                    continue
                notification = session.get(Notification, notification_id)
                message = compose(notification, session.get(User, notification.user_id), base_url=base_url,
                                  sender=sender)
            try:
                send(message)
            except smtplib.SMTPRecipientsRefused:
                log.warning("notification %s: the mail server refused %s", notification_id, message["To"])
                refused += 1
                continue
            except Exception:
                with sessions.begin() as session:
                    release(session, notification_id)
                raise
            sent += 1
        after = ids[-1]
