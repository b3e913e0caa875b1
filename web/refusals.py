"""A service's refusal shown where the person can put it right: at the form's field (or at its
top, for field ``""``), with the transaction rolled back. A refusal that the person may not do
this at all (``NotAllowed``) is left to the error pages (403)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from workflow.domain.errors import DomainError, NotAllowed

from .database import db
from .i18n import localized

__all__ = ["refused_at"]


@contextmanager
def refused_at(errors: dict[str, list[str]], field: str) -> Iterator[None]:
    """Runs the block; a ``DomainError`` from it rolls back and is added to ``errors[field]``."""
    try:
        yield
    except NotAllowed:
        raise
    except DomainError as refused:
        db().rollback()
        errors.setdefault(field, []).append(localized(refused))
