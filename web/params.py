"""Numbers from forms and query strings, distrusted: an id is one to nine ASCII digits (so no
'²', which ``str.isdigit`` accepts, and nothing too large for the database's integers)."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["as_id", "ids_in"]

ID = re.compile(r"[0-9]{1,9}")


def as_id(text: str | None) -> int | None:
    """The id ``text`` spells, or None."""
    return int(text) if text is not None and ID.fullmatch(text) else None


def ids_in(values: Iterable[str]) -> list[int]:
    """The ids among ``values`` (what is not one is left out), in order."""
    return [int(v) for v in values if ID.fullmatch(v)]
