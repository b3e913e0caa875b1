"""Who acts: a person (or the scheduler) with the roles they hold for the item at hand."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Actor", "SYSTEM_ROLE", "SYSTEM"]

SYSTEM_ROLE = "system"
"""The role of the scheduler that fires expiry triggers; workflows name it like any role."""


@dataclass(frozen=True)
class Actor:
    """A person acting, possibly for another (``acting_for``: a deputy for the head).

    ``roles`` are the roles this person holds *for the item being acted on* (scoped to its
    unit, cluster or council); the caller resolves them, the engine only compares names.
    """

    id: str
    roles: frozenset[str]
    acting_for: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("an actor needs an id")
        object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def principals(self) -> frozenset[str]:
        """Everyone this action is done by or on behalf of."""
        return frozenset(p for p in (self.id, self.acting_for) if p)


SYSTEM = Actor(id="system", roles=frozenset({SYSTEM_ROLE}), name="Laurel")
