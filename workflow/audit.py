"""The tamper-evident audit trail: each event carries SHA-256(previous hash ‖ its content).

Events are chained per instance (seq 1, 2, …); the instance keeps the hash of its latest
event (``audit_head``) and its ``version`` equals the latest seq, so altering, removing or
inserting an event anywhere — also at the end — breaks a link that ``verify`` names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from .models import AuditEvent, WorkflowDefinition, WorkflowInstance

__all__ = ["GENESIS", "HASHED_FIELDS", "event_hash", "Break", "verify", "replay"]

GENESIS = "0" * 64
"""The 'previous hash' of an instance's first event."""

HASHED_FIELDS = ("instance_id", "seq", "kind", "trigger", "from_state", "to_state", "actor_id",
                 "acting_for_id", "comment", "inputs", "attachments", "workflow_version", "occurred_at")
_BATCH = 1000
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of one event's content chained to the previous event's hash."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["occurred_at"] = fields["occurred_at"].astimezone(timezone.utc).isoformat(timespec="microseconds")
    return hashlib.sha256(f"{prev_hash}\n{_CANONICAL.encode(payload)}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first broken link found in one instance's chain."""

    instance_id: int
    seq: int | None
    event_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"instance {self.instance_id}"
        if self.seq is not None:
            where += f", event #{self.seq}" + (f" (row id {self.event_id})" if self.event_id else "")
        return f"{where}: {self.message}"


def _check_chain(instance: WorkflowInstance, events: list[AuditEvent]) -> Break | None:
    prev_hash, state, expected_seq = GENESIS, None, 1
    for ev in events:
        if ev.seq != expected_seq:
            what = "is missing (removed?)" if ev.seq > expected_seq else "is out of order (inserted?)"
            return Break(instance.id, expected_seq, None, f"event #{expected_seq} {what}")
        if ev.prev_hash != prev_hash:
            return Break(instance.id, ev.seq, ev.id, "does not link to the event before it "
                                                     "(an event was removed or inserted)")
        fields = {name: getattr(ev, name) for name in HASHED_FIELDS}
        if event_hash(fields, ev.prev_hash) != ev.hash:
            return Break(instance.id, ev.seq, ev.id, "its content does not match its hash (altered)")
        if (ev.seq == 1) != (ev.kind == "start") or ev.from_state != state:
            return Break(instance.id, ev.seq, ev.id,
                         f"starts from '{ev.from_state}' but the instance was in '{state}'")
        prev_hash, state, expected_seq = ev.hash, ev.to_state, expected_seq + 1
    last_seq = expected_seq - 1
    if last_seq != instance.version or prev_hash != instance.audit_head:
        return Break(instance.id, last_seq + 1, None,
                     f"the instance is at version {instance.version} but its trail ends at event "
                     f"#{last_seq} (events removed from the end, or the instance altered)")
    if state != instance.state:
        return Break(instance.id, last_seq, None,
                     f"replaying the trail gives state '{state}' but the instance is in '{instance.state}'")
    return _check_row(instance, events)


def _check_row(instance: WorkflowInstance, events: list[AuditEvent]) -> Break | None:
    """The instance's other columns against what its (intact) trail recorded."""
    first, last = events[0], events[-1]
    transitions = [ev for ev in events if ev.kind == "transition"]
    recorded = {
        "proposer": (first.actor_id, first.acting_for_id),
        "subject": (first.inputs.get("subject_kind"), first.inputs.get("subject_ref")),
        "workflow version": last.workflow_version,
        "last actor": (transitions[-1].actor_id, transitions[-1].acting_for_id) if transitions else (None, None),
    }
    actual = {
        "proposer": (instance.proposer_id, instance.proposer_for_id),
        "subject": (instance.subject_kind, instance.subject_ref),
        "workflow version": instance.workflow_version,
        "last actor": (instance.last_actor_id, instance.last_actor_for_id),
    }
    for what, value in recorded.items():
        if actual[what] != value:
            return Break(instance.id, None, None, f"its {what} is {actual[what]!r} but the trail records {value!r}")
    return None


def _instance_batches(session: Session) -> Iterator[list[WorkflowInstance]]:
    last_id = 0
    while True:
        batch = session.scalars(select(WorkflowInstance).where(WorkflowInstance.id > last_id)
                                .order_by(WorkflowInstance.id).limit(_BATCH)).all()
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _events_of(session: Session, first_id: int, last_id: int) -> tuple[dict[int, list[AuditEvent]], list[Break]]:
    """The events of instances first_id..last_id; unreadable rows become breaks."""
    query = select(AuditEvent).where(AuditEvent.instance_id.between(first_id, last_id))
    events: dict[int, list[AuditEvent]] = {}
    try:
        rows = session.scalars(query.order_by(AuditEvent.instance_id, AuditEvent.seq)).all()
    except (ValueError, TypeError, StatementError):  # a corrupt value somewhere: find it row by row
        rows, broken = [], []
        ids = session.scalars(select(AuditEvent.id).where(AuditEvent.instance_id.between(first_id, last_id))
                              .order_by(AuditEvent.instance_id, AuditEvent.seq)).all()
        for event_id in ids:
            try:
                rows.append(session.scalars(select(AuditEvent).where(AuditEvent.id == event_id)).one())
            except (ValueError, TypeError, StatementError):
                instance_id, seq = session.execute(select(AuditEvent.instance_id, AuditEvent.seq)
                                                   .where(AuditEvent.id == event_id)).one()
                broken.append(Break(instance_id, seq, event_id, "its row cannot be read (a value was corrupted)"))
        for ev in rows:
            events.setdefault(ev.instance_id, []).append(ev)
        return events, broken
    for ev in rows:
        events.setdefault(ev.instance_id, []).append(ev)
    return events, []


def _definition_hashes(session: Session) -> dict[tuple[str, int], str]:
    return {(row.workflow_id, row.version): row.hash for row in session.scalars(select(WorkflowDefinition))}


def verify(session: Session) -> Iterator[Break]:
    """Yields the first broken link of every instance whose chain is not intact.

    Reads one consistent snapshot (on PostgreSQL: REPEATABLE READ), so changes committed
    meanwhile are not mistaken for breaks. Expunges what it read as it goes.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    hashes = _definition_hashes(session)
    orphans = session.execute(select(AuditEvent.instance_id, func.min(AuditEvent.seq))
                              .where(AuditEvent.instance_id.not_in(select(WorkflowInstance.id)))
                              .group_by(AuditEvent.instance_id)).all()
    for instance_id, seq in orphans:
        yield Break(instance_id, seq, None, "its events remain but the instance row is gone (deleted)")
    for batch in _instance_batches(session):
        events, unreadable = _events_of(session, batch[0].id, batch[-1].id)
        yield from unreadable
        broken_ids = {b.instance_id for b in unreadable}
        for instance in batch:
            if instance.id in broken_ids:
                continue
            broken = _check_chain(instance, events.get(instance.id, []))
            if broken is None and hashes.get((instance.workflow_id, instance.workflow_version)) != instance.workflow_hash:
                broken = Break(instance.id, None, None, f"it claims definition content {instance.workflow_hash[:12]}… "
                                                        f"that {instance.workflow_id} v{instance.workflow_version} "
                                                        "does not have")
            if broken:
                yield broken
        session.expunge_all()  # keep memory flat on large trails


def replay(events: list[AuditEvent]) -> str | None:
    """The state an instance reaches by applying its events in order."""
    state = None
    for ev in sorted(events, key=lambda e: e.seq):
        if ev.from_state != state:
            raise ValueError(f"event #{ev.seq} starts from '{ev.from_state}', not '{state}'")
        state = ev.to_state
    return state
