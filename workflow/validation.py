"""The meaning of a workflow definition: names that must exist, and a graph that must work.

Structure and types are checked by ``schema.py``; here we check that every named state,
role, subject, document, guard and hook exists (resolved at load time, never at click time),
that every state can be reached and every non-final state has a way out, and that no two
transitions with the same trigger leave the same state unless a guard tells them apart.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .actor import SYSTEM_ROLE
from .definition import ANY_STATE
from .registry import Registry
from .schema import ExpiryFire, StateSchema, TransitionSchema, VocabularySchema, WorkflowSchema, lenient
from .yamlsource import Located, Problem

__all__ = ["check_workflow", "WorkflowView", "RESERVED_TRIGGERS", "unknown_name"]

RESERVED_TRIGGERS = frozenset({"trigger", "may_trigger", "state"})
_RESERVED_PREFIXES = ("is_", "may_")


def unknown_name(kind: str, name: str, known: Iterable[str]) -> str:
    """'unknown role 'x' (did you mean 'y'?)', or the list of known names when nothing is close."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"unknown {kind} '{name}' (did you mean '{close[0]}'?)"
    if not known:
        return f"unknown {kind} '{name}' (none are defined)"
    shown = ", ".join(known[:15]) + (", …" if len(known) > 15 else "")
    return f"unknown {kind} '{name}' (known: {shown})"


@dataclass
class WorkflowView:
    """The well-formed parts of a definition, so its meaning can be checked even when some
    parts are malformed (every problem is reported at once, not one layer at a time)."""

    subject: list[str]
    initial: str | None
    states: dict[str, StateSchema]
    transitions: dict[int, TransitionSchema]  # by position in the file
    keys: dict[str, str]  # section name → the key it was found under (a misspelling, perhaps)
    complete: bool  # every state's 'final' and every transition's from/to could be read

    @classmethod
    def of(cls, wf: WorkflowSchema) -> "WorkflowView":
        return cls(list(wf.subject), wf.initial, dict(wf.states), dict(enumerate(wf.transitions)), {}, True)

    @classmethod
    def lenient(cls, data: dict[str, Any]) -> "WorkflowView":
        """Keeps what validates item by item: a malformed state still counts as a name, the
        valid fields of a malformed transition are still checked, a misspelt section is read."""
        keys: dict[str, str] = {}

        def section(name: str) -> Any:
            if name in data:
                return data[name]
            close = difflib.get_close_matches(name, [k for k in data if k not in WorkflowSchema.model_fields],
                                              n=1, cutoff=0.8)
            if close:
                keys[name] = close[0]
            return data[close[0]] if close else None

        subject = data.get("subject")
        subject = [subject] if isinstance(subject, str) else subject
        subject = [s for s in subject if isinstance(s, str)] if isinstance(subject, list) else []
        initial = data.get("initial") if isinstance(data.get("initial"), str) else None
        states: dict[str, StateSchema] = {}
        complete = True
        raw_states = section("states")
        for name, raw in (raw_states.items() if isinstance(raw_states, dict) else []):
            complete &= isinstance(raw, dict) and isinstance(raw.get("final", False), bool)
            states[name] = lenient(StateSchema, raw) or lenient(StateSchema, {})
        transitions: dict[int, TransitionSchema] = {}
        raw_transitions = section("transitions")
        for i, raw in enumerate(raw_transitions if isinstance(raw_transitions, list) else []):
            t = lenient(TransitionSchema, raw)
            if t is not None and t.to and t.from_:
                transitions[i] = t
            else:
                complete = False  # an edge we cannot read: the graph cannot be judged
        return cls(subject, initial, states, transitions, keys, complete and raw_states is not None
                   and raw_transitions is not None)


class _Checker:
    def __init__(self, located: Located, wf: WorkflowView, vocabulary: VocabularySchema,
                 registry: Registry):
        self.located, self.wf, self.registry = located, wf, registry
        self.roles = set(vocabulary.roles)
        self.vocabulary = vocabulary
        self.problems: list[Problem] = []

    def error(self, loc: tuple, message: str) -> None:
        if loc and loc[0] in self.wf.keys:
            loc = (self.wf.keys[loc[0]],) + loc[1:]
        self.problems.append(self.located.problem(loc, message))

    def names(self, loc: tuple, kind: str, names: Iterable[str], known: Iterable[str]) -> None:
        known = set(known)
        for i, name in enumerate(names):
            if name not in known:
                self.error(loc + (i,), unknown_name(kind, name, known))

    def sources(self, t: TransitionSchema) -> list[str]:
        if t.from_ == [ANY_STATE]:
            return [n for n, s in self.wf.states.items() if not s.final]
        return [s for s in t.from_ if s in self.wf.states]

    def run(self) -> list[Problem]:
        wf = self.wf
        self.names(("subject",), "subject kind", wf.subject, self.vocabulary.subjects)
        if wf.initial is not None and wf.initial not in wf.states:
            self.error(("initial",), unknown_name("state", wf.initial, wf.states) + " as 'initial'")
        for name, state in wf.states.items():
            self.state(name, state)
        for i, t in wf.transitions.items():
            self.transition(i, t)
        if wf.initial in wf.states and wf.complete:
            self.graph()  # judged only when whole: a malformed transition would mislead it
        self.ambiguity()
        return self.problems

    def state(self, name, state) -> None:
        loc = ("states", name)
        hooks = self.registry.hook_names
        self.names(loc + ("on_enter",), "hook", state.on_enter, hooks)
        self.names(loc + ("on_exit",), "hook", state.on_exit, hooks)
        if state.deadline is None:
            return
        if state.deadline.duration and state.deadline.duration not in self.registry.duration_names:
            self.error(loc + ("deadline", "duration"),
                       unknown_name("duration", state.deadline.duration, self.registry.duration_names))
        if state.final:
            self.error(loc + ("deadline",), f"final state '{name}' cannot have a deadline")
            return
        expiry = state.deadline.on_expiry
        if isinstance(expiry, ExpiryFire):
            options = [t for t in self.wf.transitions.values()
                       if t.trigger == expiry.fire and name in self.sources(t)]
            where = loc + ("deadline", "on_expiry", "fire")
            if not options:
                self.error(where, f"on expiry, state '{name}' fires '{expiry.fire}', but no "
                                  f"transition with that trigger leaves '{name}'")
            elif not any(SYSTEM_ROLE in (t.roles or []) for t in options):
                self.error(where, f"the expiry trigger '{expiry.fire}' must list the role "
                                  f"'{SYSTEM_ROLE}' so the scheduler may fire it")
            elif any(t.comment == "required" or t.attachments or any(not i.optional for i in t.inputs.values())
                     for t in options if SYSTEM_ROLE in (t.roles or [])):
                self.error(where, f"the expiry trigger '{expiry.fire}' requires a comment, inputs or "
                                  "documents, which the scheduler cannot supply")

    def transition(self, i: int, t: TransitionSchema) -> None:
        loc = ("transitions", i)
        states = self.wf.states
        if t.trigger and (t.trigger in RESERVED_TRIGGERS or t.trigger.startswith(_RESERVED_PREFIXES)):
            self.error(loc + ("trigger",), f"'{t.trigger}' is a reserved name; choose another trigger name "
                                           "(not 'trigger', 'state', nor starting with 'is_' or 'may_')")
        for j, source in enumerate(t.from_):
            if source == ANY_STATE:
                continue
            if source not in states:
                self.error(loc + ("from", j) if len(t.from_) > 1 else loc + ("from",),
                           unknown_name("state", source, states) + " in 'from'")
            elif states[source].final:
                self.error(loc + ("from",), f"'{source}' is a final state: nothing may leave it "
                                            "(remove 'final: true' or this transition)")
        if t.to not in states:
            self.error(loc + ("to",), unknown_name("state", t.to, states) + " in 'to'")
        self.names(loc + ("roles",), "role", t.roles or [], self.roles)
        self.names(loc + ("guards",), "guard", t.guards, self.registry.guard_names)
        self.names(loc + ("unless",), "guard", t.unless, self.registry.guard_names)
        self.names(loc + ("after",), "hook", t.after, self.registry.hook_names)
        self.names(loc + ("attachments",), "document kind", t.attachments, self.vocabulary.documents)
        for both in sorted(set(t.guards) & set(t.unless)):
            self.error(loc + ("unless",), f"guard '{both}' is both required and excluded; "
                                          "the transition could never fire")

    def graph(self) -> None:
        wf = self.wf
        edges: dict[str, set[str]] = {name: set() for name in wf.states}
        for t in wf.transitions.values():
            if t.to in wf.states:
                for source in self.sources(t):
                    edges[source].add(t.to)
        seen, queue = {wf.initial}, deque([wf.initial])
        while queue:
            for nxt in edges[queue.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        for name, state in wf.states.items():
            if name not in seen:
                self.error(("states", name), f"state '{name}' cannot be reached from the initial "
                                             f"state '{wf.initial}'")
            elif not state.final and not edges[name]:
                self.error(("states", name), f"state '{name}' is not final and has no transition "
                                             "out (add one, or mark it 'final: true')")

    def ambiguity(self) -> None:
        seen: dict[tuple[str, str], list[int]] = {}
        for i, t in self.wf.transitions.items():
            for source in self.sources(t) if t.trigger else []:
                seen.setdefault((source, t.trigger), []).append(i)
        reported: set[tuple[int, int]] = set()
        for (source, trigger), indexes in seen.items():
            for a_pos, a in enumerate(indexes):
                for b in indexes[a_pos + 1:]:
                    ta, tb = self.wf.transitions[a], self.wf.transitions[b]
                    separated = set(ta.guards) & set(tb.unless) or set(tb.guards) & set(ta.unless)
                    if not separated and (a, b) not in reported:
                        reported.add((a, b))
                        self.error(("transitions", b, "trigger"),
                                   f"trigger '{trigger}' from state '{source}' is also defined by "
                                   f"transition #{a + 1} (line {self.located.line_of((self.wf.keys.get('transitions', 'transitions'), a))}) "
                                   "and no guard tells them apart; add a guard to one and list it "
                                   "under 'unless' in the other")


def check_workflow(located: Located, wf: WorkflowView, vocabulary: VocabularySchema,
                   registry: Registry) -> list[Problem]:
    """Every problem with the meaning of the well-formed parts of one workflow definition."""
    return _Checker(located, wf, vocabulary, registry).run()
