"""The registry of guards, hooks and durations that Laurel's definitions may name.

The commendation domain registers its rules (dossier complete, quota, vote passed, …) and the
decision hooks here; ``build_registry`` is the one place an application gets them from.
"""

from __future__ import annotations

from .registry import Registry

__all__ = ["build_registry"]


def build_registry() -> Registry:
    """A registry holding every guard, hook and duration of the commendation domain."""
    from .domain import decisions, rules  # the domain sits on the engine; imported when asked for
    registry = Registry()
    rules.register(registry)
    decisions.register(registry)
    return registry
