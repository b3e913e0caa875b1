"""Moving running instances to another version of their workflow.

Every instance must have a target state: the ``--map OLD=NEW`` pairs, or the same state
name when the new version still has it. If any instance has none, nothing moves and the
refused instances are listed. Each moved instance gets a ``migration`` audit event (and the
registry's observers are told of it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actor import Actor
from .deploy import stored_definition
from .engine import Engine
from .errors import DefinitionError
from .models import WorkflowInstance
from .store import append_event
from .validation import unknown_name

__all__ = ["Move", "MigrationPlan", "plan_migration", "migrate"]


@dataclass(frozen=True)
class Move:
    instance_id: int
    from_version: int
    from_state: str
    to_state: str | None  # None: no mapping
    seen_version: int = 0  # the instance's change counter when planned

    def __str__(self) -> str:
        target = self.to_state or "(no mapping)"
        return f"instance {self.instance_id}: v{self.from_version} '{self.from_state}' → '{target}'"


@dataclass
class MigrationPlan:
    workflow_id: str
    to_version: int
    moves: list[Move] = field(default_factory=list)

    @property
    def refused(self) -> list[Move]:
        return [m for m in self.moves if m.to_state is None]

    @property
    def ok(self) -> bool:
        return not self.refused


def plan_migration(session: Session, engine: Engine, workflow_id: str, to_version: int,
                   mapping: Mapping[str, str], from_version: int | None = None) -> MigrationPlan:
    """Which instances would move where; raises ``DefinitionError`` for a bad mapping."""
    row = stored_definition(session, workflow_id, to_version)
    target, _machine = engine.runtime(session, workflow_id, to_version, row.hash)
    bad = [unknown_name("state", new, target.states) + f" in '{old}={new}' (version {to_version} has no such state)"
           for old, new in mapping.items() if new not in target.states]
    if bad:
        raise DefinitionError("\n".join(bad))
    query = select(WorkflowInstance).where(WorkflowInstance.workflow_id == workflow_id,
                                           WorkflowInstance.workflow_version != to_version)
    if from_version is not None:
        query = query.where(WorkflowInstance.workflow_version == from_version)
    plan = MigrationPlan(workflow_id, to_version)
    for instance in session.scalars(query.order_by(WorkflowInstance.id)):
        new = mapping.get(instance.state, instance.state if instance.state in target.states else None)
        plan.moves.append(Move(instance.id, instance.workflow_version, instance.state, new, instance.version))
    return plan


def migrate(session: Session, engine: Engine, plan: MigrationPlan, actor: Actor, now: datetime) -> None:
    """Moves the instances as planned; ``Conflict`` if any changed since it was planned."""
    if not plan.ok:
        raise DefinitionError(f"{len(plan.refused)} instance(s) have no state to go to; nothing was moved")
    workflow_id, to_version = plan.workflow_id, plan.to_version
    row = stored_definition(session, workflow_id, to_version)
    target, _machine = engine.runtime(session, workflow_id, to_version, row.hash)
    for move in plan.moves:
        instance = session.get(WorkflowInstance, move.instance_id)
        ctx = engine.context(session, instance, actor, target, now)
        due = engine.due(ctx, move.to_state, instance.state_entered_at)
        # a deadline already acted on stays acted on if moving does not change it
        handled = instance.deadline_handled and move.to_state == move.from_state and due == instance.deadline_at
        # expected_version: the version planned from; a change since then is a Conflict
        record = append_event(session, instance, expected_version=move.seen_version, kind="migration",
                              trigger=None, to_state=move.to_state, actor=actor, now=now,
                              workflow_version=to_version, inputs={"from_version": move.from_version},
                              changes={"workflow_version": to_version, "workflow_hash": row.hash,
                                       "deadline_at": due, "deadline_handled": handled})
        if engine.registry.observers:
            engine.observe(ctx, record)
