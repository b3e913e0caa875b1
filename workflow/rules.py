"""The registry of guards, hooks and durations that Laurel's definitions may name.

The commendation domain registers its rules (dossier complete, quota, vote passed, …), the
decision hooks and the observer that notifies people of each event here; ``build_registry``
is the one place an application gets them from.
"""

from __future__ import annotations

from .registry import Registry

__all__ = ["build_registry"]


def build_registry() -> Registry:
    """A registry holding every guard, hook and duration of the commendation domain."""
    from .domain import decisions, notifications, rules  # the domain sits on the engine: imported when asked
    registry = Registry()
    rules.register(registry)
    decisions.register(registry)
    notifications.register(registry)
    return registry
