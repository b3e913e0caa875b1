"""Writing a change: compare-and-swap on the instance's version, plus one chained audit event.

Both statements run in the caller's transaction; if the instance's version is no longer the
one the caller read, nothing is written and ``Conflict`` is raised. This is the only place
that changes a persisted instance after its start.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .actor import Actor
from .audit import event_hash
from .errors import Conflict
from .fastsql import FastStatement
from .models import AuditEvent, WorkflowInstance

__all__ = ["EventRecord", "append_event"]

SQLITE_BUSY = 5
_instances = WorkflowInstance.__table__
_events = AuditEvent.__table__


@dataclass(frozen=True)
class EventRecord:
    """The audit event just written, as plain values."""

    instance_id: int
    seq: int
    kind: str
    trigger: str | None
    from_state: str | None
    to_state: str
    actor_id: str
    acting_for_id: str | None
    comment: str | None
    inputs: Mapping[str, Any]
    attachments: Mapping[str, str]
    workflow_version: int
    occurred_at: datetime
    prev_hash: str
    hash: str


_CAS: dict[frozenset[str], FastStatement] = {}


def _cas_statement(columns: frozenset[str]) -> FastStatement:
    """UPDATE … SET <columns> WHERE id = :id AND version = :expected (built once per shape)."""
    stmt = _CAS.get(columns)
    if stmt is None:
        stmt = _CAS.setdefault(columns, FastStatement(
            update(_instances)
            .where(_instances.c.id == bindparam("b_id"), _instances.c.version == bindparam("b_expected"))
            .values({name: bindparam(name) for name in sorted(columns)})))
    return stmt


_INSERT_EVENT = FastStatement(insert(_events), column_keys=[c.key for c in _events.c if c.key != "id"])


_SAME = object()


def append_event(session: Session, instance: WorkflowInstance, *, expected_version: int, kind: str,
                 trigger: str | None, to_state: str, actor: Actor, now: datetime, from_state: Any = _SAME,
                 comment: str | None = None, inputs: Mapping[str, Any] | None = None,
                 attachments: Mapping[str, str] | None = None, workflow_version: int | None = None,
                 changes: Mapping[str, Any] | None = None) -> EventRecord:
    """Moves ``instance`` from ``expected_version`` to the next one and records why.

    ``from_state`` defaults to the instance's state (the start event gives None). ``changes``
    are further instance columns to set (deadline, last actor, …). Raises
    ``Conflict`` when another transaction changed the instance first.
    """
    if instance.version != expected_version:
        raise Conflict(instance.id, expected_version)
    seq = expected_version + 1
    record = EventRecord(
        instance_id=instance.id, seq=seq, kind=kind, trigger=trigger,
        from_state=instance.state if from_state is _SAME else from_state,
        to_state=to_state, actor_id=actor.id, acting_for_id=actor.acting_for, comment=comment,
        inputs=dict(inputs or {}), attachments=dict(attachments or {}),
        workflow_version=workflow_version or instance.workflow_version, occurred_at=now,
        prev_hash=instance.audit_head, hash="")
    fields = record.__dict__
    digest = event_hash(fields, record.prev_hash)
    object.__setattr__(record, "hash", digest)
    values = dict(changes or {}, state=to_state, version=seq, audit_head=digest)
    connection = session.connection()
    try:
        if _cas_statement(frozenset(values)).execute(
                connection, dict(values, b_id=instance.id, b_expected=expected_version)) != 1:
            raise Conflict(instance.id, expected_version)
        _INSERT_EVENT.execute(connection, fields)
    except sqlite3.OperationalError as err:
        if err.sqlite_errorcode & 0xFF == SQLITE_BUSY:  # another writer changed the snapshot we read
            raise Conflict(instance.id, expected_version) from err
        raise
    current = instance.__dict__
    for name, value in values.items():
        if name not in current or current[name] != value:
            set_committed_value(instance, name, value)
    return record
