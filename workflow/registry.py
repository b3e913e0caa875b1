"""Guards, hooks and durations: Python callables that workflow definitions name.

Definitions refer to them by name; the names are resolved when a definition is loaded, so a
typo fails validation, not a user's click. A guard returns ``True``/``None`` (passes),
``False`` (blocked, with the guard's own label as the reason), or one or more ``Reason``
objects saying exactly what is missing. A hook returns nothing. A duration returns the
``Deadline`` (days or working days) of a state for one item, or None for no deadline. An
observer is told of every audit event the engine writes (start, transition, reminder,
migration), in the same transaction; the domain uses one to notify people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .reasons import Reason, engine_reason

if TYPE_CHECKING:
    from .context import Context
    from .schema import Deadline
    from .store import EventRecord

__all__ = ["Registry", "Guard", "GuardFunc", "HookFunc", "DurationFunc", "ObserverFunc"]

GuardFunc = Callable[["Context"], "bool | None | Reason | Iterable[Reason]"]
HookFunc = Callable[["Context"], Any]
DurationFunc = Callable[["Context"], "Deadline | None"]
ObserverFunc = Callable[["Context", "EventRecord"], Any]


@dataclass(frozen=True)
class Guard:
    """A named condition with a label for people (used when it blocks without saying why)."""

    name: str
    func: GuardFunc
    vi: str
    en: str

    def reasons(self, ctx: "Context") -> tuple[Reason, ...]:
        """What blocks the action, if this guard does not pass (empty when it passes)."""
        result = self.func(ctx)
        if result is None or result is True:
            return ()
        if result is False:
            return (engine_reason("guard_failed", label_vi=self.vi, label_en=self.en),)
        if isinstance(result, Reason):
            return (result,)
        return tuple(result)

    def holds(self, ctx: "Context") -> bool:
        return not self.reasons(ctx)


class Registry:
    """Named guards, hooks and durations; one per application, filled by the domain."""

    def __init__(self) -> None:
        self._guards: dict[str, Guard] = {}
        self._hooks: dict[str, HookFunc] = {}
        self._durations: dict[str, DurationFunc] = {}
        self._observers: tuple[ObserverFunc, ...] = ()

    def guard(self, name: str, *, vi: str, en: str) -> Callable[[GuardFunc], GuardFunc]:
        """Decorator registering a guard under ``name`` with its vi/en label."""
        def register(func: GuardFunc) -> GuardFunc:
            self._add(self._guards, name, Guard(name, func, vi, en))
            return func
        return register

    def hook(self, name: str) -> Callable[[HookFunc], HookFunc]:
        """Decorator registering a hook (run on entering/leaving a state or after a transition)."""
        def register(func: HookFunc) -> HookFunc:
            self._add(self._hooks, name, func)
            return func
        return register

    def duration(self, name: str) -> Callable[[DurationFunc], DurationFunc]:
        """Decorator registering a function that gives a state's deadline for one item."""
        def register(func: DurationFunc) -> DurationFunc:
            self._add(self._durations, name, func)
            return func
        return register

    def observer(self, func: ObserverFunc) -> ObserverFunc:
        """Registers ``func(ctx, record)``, called after every audit event the engine writes
        (start, transition, reminder, migration) in the same transaction; ``ctx.actor`` is who
        acted. Usable as a decorator; an observer that raises undoes the whole change."""
        if func in self._observers:
            raise ValueError(f"observer {getattr(func, '__name__', func)!r} is registered twice")
        self._observers += (func,)
        return func

    @staticmethod
    def _add(table: dict, name: str, value: Any) -> None:
        if name in table:
            raise ValueError(f"'{name}' is registered twice")
        table[name] = value

    def get_guard(self, name: str) -> Guard:
        return self._guards[name]

    def get_hook(self, name: str) -> HookFunc:
        return self._hooks[name]

    def get_duration(self, name: str) -> DurationFunc:
        return self._durations[name]

    @property
    def observers(self) -> tuple[ObserverFunc, ...]:
        """The observers, in the order they were registered (empty: the engine does nothing more)."""
        return self._observers

    @property
    def guard_names(self) -> frozenset[str]:
        return frozenset(self._guards)

    @property
    def hook_names(self) -> frozenset[str]:
        return frozenset(self._hooks)

    @property
    def duration_names(self) -> frozenset[str]:
        return frozenset(self._durations)
