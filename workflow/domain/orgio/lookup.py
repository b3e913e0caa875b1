"""Natural keys in the database: the table and code column each kind of reference names, and
queries over many codes or ids in batches of ``IN (...)`` lists."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Body, Cluster, Council, Period, Person, User

KINDS = {  # what a reference names → (its table, the code column, the section declaring such codes)
    "body": (Body, Body.code, "bodies"),
    "council": (Council, Council.code, "councils"),
    "cluster": (Cluster, Cluster.code, "clusters"),
    "period": (Period, Period.code, "periods"),
    "person": (Person, Person.code, "people"),
    "user": (User, User.username, "users"),
}
SCOPES = ("body", "cluster", "council")
"""The kinds of place a role can be held in."""
BATCH = 500  # values per IN (...) query


def select_in(session: Session, statement: Select, column: Any, values: Sequence, *,
              scalars: bool = False) -> Iterator[Any]:
    """The rows (or, with ``scalars``, the first column) of ``statement`` where ``column`` is one
    of ``values``, a batch of values per query."""
    run = session.scalars if scalars else session.execute
    for start in range(0, len(values), BATCH):
        yield from run(statement.where(column.in_(values[start:start + BATCH])))


def existing(session: Session, kind: str, codes: Iterable[str]) -> dict[str, int]:
    """Code → id of the given codes that the database holds."""
    table, column, _ = KINDS[kind]
    return dict(select_in(session, select(column, table.id), column, sorted(set(codes))))
