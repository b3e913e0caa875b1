"""The engine: start instances, list what an actor may do now, and fire transitions.

``available`` and ``fire`` apply the same checks (roles, separation of duties, guards) from
the same definition; ``fire`` additionally checks what the actor supplied, then writes the
new state (compare-and-swap on the version) and one audit event in the caller's transaction,
and tells the registry's observers (if any) of the event, after its hooks.
Services take a session; the caller commits — or rolls back on any exception.
"""

from __future__ import annotations

import logging
import threading
from types import MappingProxyType
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from transitions import Machine

from .actor import Actor
from .audit import GENESIS
from .context import Context
from .definition import WorkflowSpec
from .deploy import current_definition, stored_definition
from .errors import Blocked, Conflict, DefinitionError
from .loader import Definitions, load_workflow
from .machine import attached, build_machine, run_trigger
from .models import WorkflowInstance
from .reasons import Reason, engine_reason
from .registry import Registry
from .requirements import Supplied, check_supplied
from .schema import InputSchema, Label, TransitionSchema
from .store import EventRecord, append_event
from .workdays import utcnow

__all__ = ["Engine", "Option"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Option:
    """A trigger the instance's state offers, whether this actor may fire it now, and why not."""

    trigger: str
    label: Label
    to: str
    allowed: bool
    reasons: tuple[Reason, ...]
    comment: str
    inputs: Mapping[str, InputSchema]
    attachments: tuple[str, ...]


class _Action:
    """One ``fire`` call as the machine sees it: checks candidates, then writes the chosen one."""

    def __init__(self, engine: "Engine", context: Context, expected_version: int, raw: dict[str, Any]):
        self.engine, self.context, self.expected_version, self.raw = engine, context, expected_version, raw
        self.reasons: list[Reason] = []
        self.other_routes: list[Reason] = []
        self.supplied: Supplied | None = None
        self.record: EventRecord | None = None

    def allows(self, transition: TransitionSchema) -> bool:
        supplied = check_supplied(transition, self.engine.documents, **self.raw)
        ctx = self.context
        ctx.transition = transition
        ctx.comment, ctx.inputs, ctx.attachments = supplied.comment, supplied.inputs, supplied.attachments
        reasons = supplied.reasons + self.engine.blockers(ctx, transition)  # guards see what was supplied
        if reasons:
            # reasons of a route that does not apply (its routing guard says so) are kept
            # only in case no route applies at all
            (self.reasons if self.engine.route_applies(ctx, transition) else self.other_routes).extend(reasons)
            return False
        self.supplied = supplied
        return True

    def write(self, transition: TransitionSchema) -> None:
        self.record = self.engine.write(self.context, transition, self.supplied, self.expected_version)
        self.context.event = self.record


class Engine:
    """Runs workflow instances under their deployed definition versions.

    Holds only immutable things between calls: the registry, the vocabulary and calendar,
    the application's ``services`` (handed to guards and hooks), and parsed specs with
    their machines, cached by content hash.
    """

    def __init__(self, registry: Registry, definitions: Definitions, services: Mapping[str, Any] | None = None):
        if definitions.vocabulary is None or definitions.calendar is None:
            raise DefinitionError("the vocabulary and calendar must load before the engine starts:\n"
                                  + "\n".join(str(p) for p in definitions.problems))
        self.registry = registry
        self.vocabulary = definitions.vocabulary
        self.documents = definitions.vocabulary.documents
        self.calendar = definitions.calendar
        self.services = MappingProxyType(dict(services or {}))
        self._runtimes: dict[str, tuple[WorkflowSpec, Machine]] = {}
        self._lock = threading.Lock()
        for spec in definitions.workflows.values():
            self._remember(spec)

    # --- definitions ----------------------------------------------------------------------

    def _remember(self, spec: WorkflowSpec) -> tuple[WorkflowSpec, Machine]:
        with self._lock:
            runtime = self._runtimes.get(spec.hash)
            if runtime is None:
                runtime = self._runtimes[spec.hash] = (spec, build_machine(spec, self.registry))
            return runtime

    def runtime(self, session: Session, workflow_id: str, version: int, content_hash: str
                ) -> tuple[WorkflowSpec, Machine]:
        """The spec and shared machine of one deployed version, loaded once per process."""
        runtime = self._runtimes.get(content_hash)
        if runtime is not None:
            return runtime
        row = stored_definition(session, workflow_id, version)
        if row.hash != content_hash:
            raise DefinitionError(f"workflow '{workflow_id}' version {version} changed after instances "
                                  "started on it; restore it or migrate the instances")
        spec, problems = load_workflow(row.path, self.vocabulary, self.registry, text=row.source)
        if spec is None:
            raise DefinitionError(f"deployed workflow '{workflow_id}' version {version} no longer loads:\n"
                                  + "\n".join(str(p) for p in problems))
        return self._remember(spec)

    def spec_of(self, session: Session, instance: WorkflowInstance) -> WorkflowSpec:
        return self.runtime(session, instance.workflow_id, instance.workflow_version, instance.workflow_hash)[0]

    # --- checks ---------------------------------------------------------------------------

    def context(self, session: Session, instance: WorkflowInstance, actor: Actor, spec: WorkflowSpec,
                now: datetime) -> Context:
        return Context(session=session, instance=instance, actor=actor, spec=spec, now=now, engine=self,
                       services=self.services)

    def role_label(self, role: str, lang: str) -> str:
        label = self.vocabulary.roles.get(role)
        return getattr(label, lang) if label else role

    def blockers(self, ctx: Context, t: TransitionSchema) -> list[Reason]:
        """What stops ``ctx.actor`` from taking transition ``t`` now (not counting inputs)."""
        actor, instance = ctx.actor, ctx.instance
        reasons: list[Reason] = []
        if actor.roles.isdisjoint(t.roles):
            reasons.append(engine_reason("role", roles_vi=", ".join(self.role_label(r, "vi") for r in t.roles),
                                         roles_en=", ".join(self.role_label(r, "en") for r in t.roles)))
        if "proposer" in t.distinct_from and actor.principals & {instance.proposer_id, instance.proposer_for_id}:
            reasons.append(engine_reason("distinct_proposer"))
        if ("previous_actor" in t.distinct_from
                and actor.principals & {instance.last_actor_id, instance.last_actor_for_id}):
            reasons.append(engine_reason("distinct_previous_actor"))
        for name in t.guards:
            reasons += self._guard(ctx, t, name)
        for name in t.unless:
            if not self._guard(ctx, t, name):
                guard = self.registry.get_guard(name)
                reasons.append(engine_reason("unless_holds", label_vi=guard.vi, label_en=guard.en))
        return reasons

    def _guard(self, ctx: Context, t: TransitionSchema, name: str) -> tuple[Reason, ...]:
        """A guard's reasons for transition ``t``, evaluated once per call."""
        key = ("guard", name, id(t))
        if key not in ctx.memo:
            ctx.memo[key] = self.registry.get_guard(name).reasons(ctx)
        return ctx.memo[key]

    def route_applies(self, ctx: Context, t: TransitionSchema) -> bool:
        """Whether the guards that tell ``t`` apart from its siblings choose ``t``."""
        routing = ctx.spec.routing[ctx.instance.state][t.trigger]
        return (all(not self._guard(ctx, t, g) for g in routing.intersection(t.guards))
                and all(self._guard(ctx, t, g) for g in routing.intersection(t.unless)))

    # --- the three services ---------------------------------------------------------------

    def start(self, session: Session, workflow_id: str, actor: Actor, *, subject_kind: str,
              subject_ref: str | None = None, now: datetime | None = None) -> WorkflowInstance:
        """Creates an instance in the initial state of the current version, with its first event."""
        now = now or utcnow()
        row = current_definition(session, workflow_id)
        spec, _machine = self.runtime(session, workflow_id, row.version, row.hash)
        if subject_kind not in spec.schema.subject:
            raise DefinitionError(f"workflow '{workflow_id}' applies to {', '.join(spec.schema.subject)}, "
                                  f"not to '{subject_kind}'")
        instance = WorkflowInstance(
            workflow_id=spec.id, workflow_version=spec.version, workflow_hash=spec.hash,
            subject_kind=subject_kind, subject_ref=subject_ref, state=spec.initial, version=0,
            audit_head=GENESIS, proposer_id=actor.id, proposer_for_id=actor.acting_for,
            created_at=now, state_entered_at=now)
        session.add(instance)
        session.flush()
        ctx = self.context(session, instance, actor, spec, now)
        ctx.event = append_event(
            session, instance, expected_version=0, kind="start", trigger=None, from_state=None,
            to_state=spec.initial, actor=actor, now=now,
            inputs={"subject_kind": subject_kind, "subject_ref": subject_ref},
            changes={"deadline_at": self.due(ctx, spec.initial, now), "deadline_handled": False})
        for name in spec.states[spec.initial].on_enter:
            self.registry.get_hook(name)(ctx)
        if self.registry.observers:
            self.observe(ctx, ctx.event)
        return instance

    def available(self, session: Session, instance: WorkflowInstance, actor: Actor,
                  now: datetime | None = None) -> list[Option]:
        """Every trigger the current state offers, allowed or not for ``actor``, with reasons."""
        spec = self.spec_of(session, instance)
        ctx = self.context(session, instance, actor, spec, now or utcnow())
        options = []
        for trigger, candidates in spec.candidates[instance.state].items():
            reasons: list[Reason] = []
            chosen = None
            for t in candidates:
                ctx.transition = t
                if not self.route_applies(ctx, t):
                    continue
                blocked = self.blockers(ctx, t)
                if not blocked:
                    chosen = t
                    break
                reasons += blocked
            if chosen is None and not reasons:  # no route applies: say what every one lacks
                for t in candidates:
                    ctx.transition = t
                    reasons += self.blockers(ctx, t)
            shown = chosen or candidates[0]
            options.append(Option(trigger=trigger, label=shown.label, to=shown.to, allowed=chosen is not None,
                                  reasons=() if chosen else tuple(dict.fromkeys(reasons)),
                                  comment=shown.comment, inputs=shown.inputs,
                                  attachments=tuple(shown.attachments)))
        return options

    def fire(self, session: Session, instance: WorkflowInstance, trigger: str, actor: Actor, *,
             inputs: Mapping[str, Any] | None = None, comment: str | None = None,
             attachments: Mapping[str, str] | None = None, expected_version: int | None = None,
             now: datetime | None = None) -> EventRecord:
        """Takes the first transition of ``trigger`` whose checks pass, and records it.

        Raises ``Blocked`` with every reason when none may be taken, ``Conflict`` when the
        instance changed since ``expected_version`` (default: the version read).
        """
        expected = instance.version if expected_version is None else expected_version
        if expected != instance.version:
            raise Conflict(instance.id, expected)
        spec, machine = self.runtime(session, instance.workflow_id, instance.workflow_version,
                                     instance.workflow_hash)
        if trigger not in spec.candidates[instance.state]:
            state = spec.states[instance.state].label
            raise Blocked((engine_reason("not_here", trigger=str(trigger)[:64], state_vi=state.vi,
                                         state_en=state.en),))
        ctx = self.context(session, instance, actor, spec, now or utcnow())
        action = _Action(self, ctx, expected, {"comment": comment, "inputs": inputs, "attachments": attachments})
        with attached(machine, instance.state) as token:
            done = run_trigger(machine, token, trigger, action)
        if not done or action.record is None:
            raise Blocked(tuple(action.reasons or action.other_routes))
        if self.registry.observers:  # after the transition's hooks: observers see the whole change
            self.observe(ctx, action.record)
        return action.record

    # --- writing --------------------------------------------------------------------------

    def observe(self, ctx: Context, record: EventRecord) -> None:
        """Tells the registry's observers of ``record``, an event just written in ``ctx.session``'s
        transaction (callers skip the call when there are no observers)."""
        for observer in self.registry.observers:
            observer(ctx, record)

    def due(self, ctx: Context, state: str, started_at: datetime) -> datetime | None:
        """When the deadline of ``state`` (under ``ctx.spec``) started at ``started_at`` expires."""
        deadline = ctx.spec.states[state].deadline
        if deadline is not None and deadline.duration:
            deadline = self.registry.get_duration(deadline.duration)(ctx)
        return self.calendar.due(started_at, deadline) if deadline else None

    def write(self, ctx: Context, t: TransitionSchema, supplied: Supplied, expected_version: int) -> EventRecord:
        """Persists the chosen transition (called by the machine before any hook runs)."""
        return append_event(
            ctx.session, ctx.instance, expected_version=expected_version, kind="transition",
            trigger=t.trigger, to_state=t.to, actor=ctx.actor, now=ctx.now, comment=supplied.comment,
            inputs=supplied.inputs, attachments=supplied.attachments,
            changes={"state_entered_at": ctx.now, "deadline_at": self.due(ctx, t.to, ctx.now),
                     "deadline_handled": False, "last_actor_id": ctx.actor.id,
                     "last_actor_for_id": ctx.actor.acting_for})
