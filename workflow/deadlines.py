"""Deadlines: fire the expiry trigger or record a reminder for every overdue instance.

``tick`` is run by cron or any scheduler. Each overdue instance is handled in its own
transaction through the same compare-and-swap as every change, so a deadline is acted on
exactly once even when ticks overlap: the loser of the race sees ``Conflict`` and skips.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .actor import SYSTEM
from .engine import Engine
from .errors import Blocked, Conflict, DefinitionError
from .models import WorkflowInstance
from .schema import ExpiryFire
from .store import append_event
from .workdays import utcnow

__all__ = ["Handled", "tick", "overdue_ids"]

log = logging.getLogger(__name__)
_BATCH = 500


@dataclass(frozen=True)
class Handled:
    """What one tick did with one overdue instance."""

    instance_id: int
    outcome: str  # fired | reminded | skipped | blocked | error
    detail: str = ""

    def __str__(self) -> str:
        return f"instance {self.instance_id}: {self.outcome}" + (f" — {self.detail}" if self.detail else "")


def overdue_ids(session: Session, now: datetime, after_id: int = 0) -> list[int]:
    """Ids of instances whose current deadline has passed and has not been acted on yet."""
    return list(session.scalars(
        select(WorkflowInstance.id)
        .where(WorkflowInstance.deadline_handled.is_(False), WorkflowInstance.deadline_at <= now,
               WorkflowInstance.id > after_id)
        .order_by(WorkflowInstance.id).limit(_BATCH)))


def _handle(session: Session, engine: Engine, instance_id: int, now: datetime) -> Handled:
    instance = session.get(WorkflowInstance, instance_id)
    if instance is None or instance.deadline_handled or instance.deadline_at is None or instance.deadline_at > now:
        return Handled(instance_id, "skipped", "already handled")
    spec = engine.spec_of(session, instance)
    deadline = spec.states[instance.state].deadline
    if deadline is None:
        return Handled(instance_id, "skipped", f"state '{instance.state}' has no deadline in this version")
    if isinstance(deadline.on_expiry, ExpiryFire):
        event = engine.fire(session, instance, deadline.on_expiry.fire, SYSTEM, now=now)
        return Handled(instance_id, "fired", f"{deadline.on_expiry.fire}: {event.from_state} → {event.to_state}")
    record = append_event(session, instance, expected_version=instance.version, kind="reminder", trigger=None,
                          to_state=instance.state, actor=SYSTEM, now=now,
                          inputs={"due": instance.deadline_at.isoformat()}, changes={"deadline_handled": True})
    if engine.registry.observers:
        engine.observe(engine.context(session, instance, SYSTEM, spec, now), record)
    return Handled(instance_id, "reminded", f"in '{instance.state}' since {instance.state_entered_at:%Y-%m-%d}")


def tick(sessions: sessionmaker[Session], engine: Engine, now: datetime | None = None) -> Iterator[Handled]:
    """Handles every instance overdue at ``now``, one transaction each; yields what was done."""
    now = now or utcnow()
    last_id = 0
    while True:
        with sessions() as session:
            ids = overdue_ids(session, now, last_id)
        if not ids:
            return
        for instance_id in ids:
            try:
                with sessions.begin() as session:
                    yield _handle(session, engine, instance_id, now)
            except Conflict:
                yield Handled(instance_id, "skipped", "changed meanwhile (another tick or a person acted)")
            except Blocked as blocked:
                yield Handled(instance_id, "blocked", blocked.en)
            except Exception as err:  # one broken instance must not stall every later deadline
                log.exception("deadline of instance %s not handled", instance_id)
                yield Handled(instance_id, "error", str(err) if isinstance(err, DefinitionError)
                              else f"{type(err).__name__}: see the log")
        last_id = ids[-1]
