"""Working days: deadlines in days or working days, skipping weekends and public holidays.

The calendar (time zone, weekend, holidays, make-up working Saturdays) is data in
``definitions/calendar.yaml``. A deadline of N working days ends at midnight (local time)
after the N-th working day following the day the clock started.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .schema import CalendarSchema, Deadline

__all__ = ["WorkingCalendar", "utcnow"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def utcnow() -> datetime:
    """The current time, in UTC (times are stored and compared in UTC)."""
    return datetime.now(timezone.utc)


class WorkingCalendar:
    """Which days are working days, and when a deadline started at some moment falls due."""

    def __init__(self, schema: CalendarSchema):
        self.zone = ZoneInfo(schema.timezone)
        self.weekend = frozenset(_WEEKDAYS.index(day) for day in schema.weekend)
        holidays: set[date] = set()
        for h in schema.holidays:
            if h.date:
                holidays.add(h.date)
            else:
                day = h.from_
                while day <= h.to:
                    holidays.add(day)
                    day += timedelta(days=1)
        self.holidays = frozenset(holidays)
        self.working_weekends = frozenset(schema.working_weekends)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """The working days after ``start`` up to and including ``end`` — the inverse of
        ``add_working_days`` — or, when ``end`` comes first, minus those after ``end`` up to
        and including ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def last_day(self, deadline: datetime) -> date:
        """The last local day a deadline leaves: the day before, when it falls at local midnight."""
        local = deadline.astimezone(self.zone)
        return local.date() - timedelta(days=1) if local.time() == time(0) else local.date()

    def working_days_left(self, deadline: datetime, now: datetime) -> int:
        """Working days after today (local) up to the deadline's last day: 0 when that day is
        today; negative when it has passed (the working days since, which may be 0 too:
        whether a deadline has passed is ``deadline <= now``)."""
        return self.working_days_between(now.astimezone(self.zone).date(), self.last_day(deadline))

    def due(self, started_at: datetime, deadline: Deadline) -> datetime:
        """When a deadline started at ``started_at`` expires (in UTC)."""
        if deadline.days is not None:
            return started_at + timedelta(days=deadline.days)
        local = started_at.astimezone(self.zone)
        last = self.add_working_days(local.date(), deadline.working_days)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.zone)
        return end.astimezone(timezone.utc)
