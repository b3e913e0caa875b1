"""Errors of the commendation domain, with texts a person can act on (vi/en)."""

from __future__ import annotations

from ..errors import WorkflowError

__all__ = ["DomainError", "NotAllowed"]


class DomainError(WorkflowError):
    """A request the domain refuses, with the reason in Vietnamese and English."""

    def __init__(self, vi: str, en: str):
        super().__init__()
        self.vi, self.en = vi, en


class NotAllowed(DomainError):
    """The person may not do this (not their unit, council or role)."""
