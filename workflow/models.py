"""Database tables of the engine: deployed definitions, workflow instances, audit events.

Times are timezone-aware and stored in UTC. An instance's ``version`` counts its changes and equals the sequence
number of its latest audit event; ``audit_head`` is that event's hash, so a removed last
event is noticed too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

__all__ = ["WorkflowDefinition", "WorkflowInstance", "AuditEvent"]


class WorkflowDefinition(SQLModel, table=True):
    """A deployed version of a workflow definition; its source is kept so old versions run on."""

    __tablename__ = "workflow_definition"
    __table_args__ = (Index("uq_workflow_definition_current", "workflow_id", unique=True,
                            sqlite_where=text("current"), postgresql_where=text("current")),)

    workflow_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    hash: str = Field(max_length=64)
    source: str = Field(sa_column=Column(Text, nullable=False))
    path: str = Field(max_length=500)
    current: bool = Field(default=False)
    deployed_at: datetime


class WorkflowInstance(SQLModel, table=True):
    """One item (a nomination, a decision, ...) moving through a workflow."""

    __tablename__ = "workflow_instance"
    __table_args__ = (
        ForeignKeyConstraint(["workflow_id", "workflow_version"],
                             ["workflow_definition.workflow_id", "workflow_definition.version"]),
        Index("ix_workflow_instance_due", "deadline_handled", "deadline_at"),
        Index("ix_workflow_instance_subject", "subject_kind", "subject_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(max_length=64, index=True)
    workflow_version: int
    workflow_hash: str = Field(max_length=64)
    subject_kind: str = Field(max_length=64)
    subject_ref: str | None = Field(default=None, max_length=128)
    state: str = Field(max_length=64, index=True)
    version: int = Field(default=1)
    audit_head: str = Field(max_length=64)
    proposer_id: str = Field(max_length=128)
    proposer_for_id: str | None = Field(default=None, max_length=128)
    last_actor_id: str | None = Field(default=None, max_length=128)
    last_actor_for_id: str | None = Field(default=None, max_length=128)
    created_at: datetime
    state_entered_at: datetime
    deadline_at: datetime | None = None
    deadline_handled: bool = Field(default=False)


class AuditEvent(SQLModel, table=True):
    """One change of an instance, chained to the previous one by SHA-256; never updated."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("instance_id", "seq", name="uq_audit_event_instance_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    instance_id: int = Field(foreign_key="workflow_instance.id")
    seq: int
    kind: str = Field(max_length=16)  # start | transition | reminder | migration
    trigger: str | None = Field(default=None, max_length=64)
    from_state: str | None = Field(default=None, max_length=64)
    to_state: str = Field(max_length=64)
    actor_id: str = Field(max_length=128)
    acting_for_id: str | None = Field(default=None, max_length=128)
    comment: str | None = Field(default=None, sa_column=Column(Text))
    inputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attachments: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    workflow_version: int
    occurred_at: datetime
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
