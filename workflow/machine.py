"""One ``transitions.Machine`` per workflow definition version, shared by all its instances.

A machine holds no instance: for the length of one call, a lightweight ``Token`` standing
for the instance is attached, the trigger is run, and the token is detached again. Each
transition's single condition asks the running ``Action`` whether that transition may be
taken (roles, separation of duties, guards, what the actor supplied), so the machine picks
the first transition whose checks pass — guards route, as in the YAML. Hooks named in the
definition run as the machine's callbacks, after the change has been written.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from transitions import Machine, State
from transitions.core import listify

from .definition import WorkflowSpec
from .registry import Registry

if TYPE_CHECKING:
    from transitions.core import EventData

    from .context import Context
    from .schema import TransitionSchema

__all__ = ["Action", "Token", "SharedMachine", "build_machine", "attached", "run_trigger"]


class Action(Protocol):
    """The call in progress, as the machine's callbacks see it."""

    context: "Context"

    def allows(self, transition: "TransitionSchema") -> bool: ...

    def write(self, transition: "TransitionSchema") -> None: ...


class Token:
    """Stands for an instance inside a machine for one call; carries only its state."""

    def __init__(self, state: str):
        self.state = state


def _condition(transition: "TransitionSchema"):
    def allows(event: "EventData") -> bool:
        return event.kwargs["action"].allows(transition)
    return allows


def _writer(transition: "TransitionSchema"):
    def write(event: "EventData") -> None:
        event.kwargs["action"].write(transition)
    return write


def _hooks(registry: Registry, names: list[str]) -> list[Any]:
    def bind(func):
        return lambda event: func(event.kwargs["action"].context)
    return [bind(registry.get_hook(name)) for name in names]


class SharedMachine(Machine):
    """A machine shared by many short-lived tokens.

    ``Machine.add_model`` binds a convenience method per trigger and per state onto the
    model (about as costly as building a machine); tokens are driven through
    ``machine.events[trigger]`` and need none, so attaching only registers the token.
    """

    def add_model(self, model, initial=None):
        for token in listify(model):
            self.set_state(initial if initial is not None else self.initial, model=token)
            self.models.append(token)


def build_machine(spec: WorkflowSpec, registry: Registry) -> "SharedMachine":
    """The machine of one definition version; guards and hooks are resolved here, once."""
    states = [State(name, on_enter=_hooks(registry, s.on_enter), on_exit=_hooks(registry, s.on_exit))
              for name, s in spec.states.items()]
    transitions = []
    for t in spec.transitions:
        for source in spec.sources(t):
            transitions.append({"trigger": t.trigger, "source": source, "dest": t.to,
                                "conditions": [_condition(t)], "before": [_writer(t)],
                                "after": _hooks(registry, t.after)})
    return SharedMachine(model=None, states=states, transitions=transitions, initial=spec.initial,
                   auto_transitions=False, send_event=True, ignore_invalid_triggers=False,
                   name=f"{spec.id}@{spec.version}")


@contextmanager
def attached(machine: Machine, state: str):
    """A token in ``state``, attached to ``machine`` for the block and always detached after."""
    token = Token(state)
    machine.add_model(token, initial=state)
    try:
        yield token
    finally:
        machine.remove_model(token)


def run_trigger(machine: Machine, token: Token, trigger: str, action: Action) -> bool:
    """Fires ``trigger`` on an attached token; True when a transition was taken."""
    return machine.events[trigger].trigger(token, action=action)
