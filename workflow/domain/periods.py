"""Emulation periods: a year or a themed movement, with its submission window."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import DomainError
from .models import Period

__all__ = ["previous_years", "period_by_code", "submission_open"]


def period_by_code(session: Session, code: str) -> Period:
    period = session.scalar(select(Period).where(Period.code == code))
    if period is None:
        raise DomainError(f"Không có kỳ thi đua “{code}”", f"No emulation period “{code}”")
    return period


def previous_years(session: Session, period: Period, count: int) -> list[Period | None]:
    """The yearly periods of the ``count`` years before ``period``, nearest first (None for a
    year with no period on record). A movement has no previous years."""
    if period.year is None:
        return [None] * count
    wanted = [period.year - i for i in range(1, count + 1)]
    found = {p.year: p for p in session.scalars(select(Period).where(Period.kind == "year",
                                                                     Period.year.in_(wanted)))}
    return [found.get(year) for year in wanted]


def submission_open(period: Period, on: date) -> bool:
    return period.submission_opens <= on <= period.submission_closes
