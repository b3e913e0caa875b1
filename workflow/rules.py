"""The registry of guards and hooks that Laurel's workflow definitions may name.

The commendation domain registers its rules here (dossier complete, quota, vote passed, …);
``build_registry`` is the one place an application gets them from.
"""

from __future__ import annotations

from .registry import Registry

__all__ = ["build_registry"]


def build_registry() -> Registry:
    """A registry holding every guard and hook of the commendation domain."""
    return Registry()
