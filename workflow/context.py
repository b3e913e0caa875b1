"""What a guard or hook is told about the action being considered or taken."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .actor import Actor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .definition import WorkflowSpec
    from .engine import Engine
    from .models import WorkflowInstance
    from .schema import TransitionSchema
    from .store import EventRecord

__all__ = ["Context"]


@dataclass
class Context:
    """One action on one instance: who, what, with which inputs, at what time.

    ``transition`` is the transition being checked or taken; ``event`` is set once the change
    is written (hooks see it). Guards read the database through ``session`` and must not
    write (they may take locks); hooks may write, inside the same transaction. ``services``
    are what the application handed the engine (the domain's catalogue, say); ``engine``
    lets a hook act on other instances; ``memo`` lets the guards of one call share lookups.
    """

    session: "Session"
    instance: "WorkflowInstance"
    actor: Actor
    spec: "WorkflowSpec"
    now: datetime
    inputs: Mapping[str, Any] = field(default_factory=dict)
    attachments: Mapping[str, str] = field(default_factory=dict)
    comment: str | None = None
    transition: "TransitionSchema | None" = None
    event: "EventRecord | None" = None
    engine: "Engine | None" = None                              # the engine running this call
    services: Mapping[str, Any] = field(default_factory=dict)  # what the application gave the engine
    memo: dict[str, Any] = field(default_factory=dict)         # lookups shared by the guards of one call
