"""What URLs, forms and query strings send, distrusted: an id is one to nine ASCII digits (so no
'²', which ``str.isdigit`` accepts, and nothing too large for the database's integers), and no
text may hold a control character but tab and line breaks (PostgreSQL refuses to store or even
compare a NUL; a workbook cannot hold the others)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import request
from werkzeug.routing import IntegerConverter

from workflow.domain.text import CONTROL_CHARACTERS

__all__ = ["IdConverter", "as_id", "holds_control_characters", "ids_in", "page_number"]

ID = re.compile(r"[0-9]{1,9}")
LARGEST_ID = 999_999_999


class IdConverter(IntegerConverter):
    """``<int:…>`` in a route: a larger number matches no route (404) instead of overflowing
    the database driver."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's parameter name)
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def as_id(text: str | None) -> int | None:
    """The id ``text`` spells, or None."""
    return int(text) if text is not None and ID.fullmatch(text) else None


def page_number() -> int:
    """The page of a list the query string asks for (``?page=N``): 1 unless it names a later one."""
    return max(1, as_id(request.args.get("page")) or 1)


def ids_in(values: Iterable[str]) -> list[int]:
    """The ids among ``values`` (what is not one is left out), in order."""
    return [int(v) for v in values if ID.fullmatch(v)]


def holds_control_characters() -> bool:
    """Whether the request's path, query string or form fields (not its files) hold a control
    character other than tab and line breaks."""
    texts = [request.path, *request.args.values(), *request.form.values(),
             *(v for v in (request.view_args or {}).values() if isinstance(v, str))]
    return any(CONTROL_CHARACTERS.search(text) for text in texts)
