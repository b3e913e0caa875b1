"""Immutable workflow specs: a validated definition, indexed for the runtime.

A spec holds no run state. It is built once per definition version (identified by its
content hash) and shared by every instance running under that version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

from .schema import StateSchema, TransitionSchema, WorkflowSchema

__all__ = ["WorkflowSpec", "content_hash", "ANY_STATE"]

ANY_STATE = "*"


def content_hash(schema: WorkflowSchema) -> str:
    """SHA-256 of what the definition says: formatting and comments do not change it, nor
    does a new optional key the file does not use."""
    canonical = json.dumps(schema.model_dump(mode="json", by_alias=True, exclude_unset=True), sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class WorkflowSpec:
    """One version of one workflow, as loaded from ``path`` (``source`` is the file's text)."""

    schema: WorkflowSchema
    path: str
    source: str = field(repr=False)
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", content_hash(self.schema))

    @property
    def id(self) -> str:
        return self.schema.id

    @property
    def version(self) -> int:
        return self.schema.version

    @property
    def initial(self) -> str:
        return self.schema.initial

    @property
    def states(self) -> dict[str, StateSchema]:
        return self.schema.states

    @property
    def transitions(self) -> list[TransitionSchema]:
        return self.schema.transitions

    def sources(self, transition: TransitionSchema) -> tuple[str, ...]:
        """The states a transition leaves from, with ``*`` expanded to every non-final state."""
        if transition.from_ == [ANY_STATE]:
            return tuple(name for name, state in self.states.items() if not state.final)
        return tuple(transition.from_)

    @cached_property
    def candidates(self) -> dict[str, dict[str, tuple[TransitionSchema, ...]]]:
        """state → trigger → the transitions that trigger may take from there, in file order."""
        table: dict[str, dict[str, list[TransitionSchema]]] = {name: {} for name in self.states}
        for transition in self.transitions:
            for source in self.sources(transition):
                if source in table:
                    table[source].setdefault(transition.trigger, []).append(transition)
        return {state: {t: tuple(c) for t, c in triggers.items()} for state, triggers in table.items()}

    @cached_property
    def routing(self) -> dict[str, dict[str, frozenset[str]]]:
        """state → trigger → the guards that tell its transitions apart (required by one,
        excluded by another): they choose the route, they are not obstacles to report."""
        table: dict[str, dict[str, frozenset[str]]] = {}
        for state, triggers in self.candidates.items():
            for trigger, candidates in triggers.items():
                names: set[str] = set()
                for a in candidates:
                    for b in candidates:
                        if a is not b:
                            names |= set(a.guards) & set(b.unless)
                table.setdefault(state, {})[trigger] = frozenset(names)
        return table

    @cached_property
    def triggers(self) -> frozenset[str]:
        return frozenset(t.trigger for t in self.transitions)

    def label(self, state: str, lang: str = "vi") -> str:
        schema = self.states.get(state)
        return getattr(schema.label, lang) if schema else state
