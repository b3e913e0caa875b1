"""Guards and hooks: Python callables that workflow definitions name.

Definitions refer to guards and hooks by name; the names are resolved when a definition is
loaded, so a typo fails validation, not a user's click. A guard returns ``True``/``None``
(passes), ``False`` (blocked, with the guard's own label as the reason), or one or more
``Reason`` objects saying exactly what is missing. A hook returns nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .reasons import Reason, engine_reason

if TYPE_CHECKING:
    from .context import Context

__all__ = ["Registry", "Guard", "GuardFunc", "HookFunc"]

GuardFunc = Callable[["Context"], "bool | None | Reason | Iterable[Reason]"]
HookFunc = Callable[["Context"], Any]


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
    """Named guards and hooks; one per application, filled at import time by the domain."""

    def __init__(self) -> None:
        self._guards: dict[str, Guard] = {}
        self._hooks: dict[str, HookFunc] = {}

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

    @staticmethod
    def _add(table: dict, name: str, value: Any) -> None:
        if name in table:
            raise ValueError(f"'{name}' is registered twice")
        table[name] = value

    def get_guard(self, name: str) -> Guard:
        return self._guards[name]

    def get_hook(self, name: str) -> HookFunc:
        return self._hooks[name]

    @property
    def guard_names(self) -> frozenset[str]:
        return frozenset(self._guards)

    @property
    def hook_names(self) -> frozenset[str]:
        return frozenset(self._hooks)
