"""Appointment dates (ngày hẹn trả) and the supplement clock stop.

Rules (domain brief, issue 2):
- working_days N: close of office on the N-th working day after the day of reception.
  Reception after the last office period, or on a non-working day, counts from the next
  working day, which then plays the part of the day of reception.
- calendar_days N: the day of reception plus N calendar days, closing time; a result
  never falls due on a non-working day, so it moves to the next working day.
- working_hours N: N hours of office time from the moment of reception (from the next
  opening when received outside office hours).
- A supplement request stops the clock; its completion restarts it with what was left.
  What is left is measured in the limit's own unit: whole working days after the day the
  clock stopped (that day counts as used), calendar days, or office seconds.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from rules.work_calendar import WorkCalendar


class TimeUnit(enum.StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WORKING_HOURS = "working_hours"


def reception_day(cal: WorkCalendar, received_at: datetime) -> datetime:
    """The working day that counts as the day of reception, at its closing time."""
    local = cal.local(received_at)
    day = local.date()
    if not cal.is_working_day(day) or local >= cal.closing(day):
        day = cal.next_working_day(day)
    return cal.closing(day)


def add_working_days(cal: WorkCalendar, start: datetime, days: int) -> datetime:
    day = cal.local(start).date()
    for _ in range(days):
        day = cal.next_working_day(day)
    return cal.closing(day)


def add_calendar_days(cal: WorkCalendar, start: datetime, days: int) -> datetime:
    day = cal.local(start).date() + timedelta(days=days)
    return cal.closing(cal.working_day_on_or_after(day))


def compute_due(cal: WorkCalendar, received_at: datetime, limit: int, unit: TimeUnit) -> datetime:
    if limit < 0:
        raise ValueError(f"time limit must be >= 0, got {limit}")
    if unit is TimeUnit.WORKING_HOURS:
        return cal.add_office_seconds(received_at, limit * 3600)
    start = reception_day(cal, received_at)
    if unit is TimeUnit.WORKING_DAYS:
        return add_working_days(cal, start, limit)
    return add_calendar_days(cal, start, limit)


def remaining_at_stop(
    cal: WorkCalendar, due_at: datetime, stopped_at: datetime, unit: TimeUnit
) -> int:
    """What is left of the limit when the clock stops (days, or seconds for hour limits).

    Never negative: a dossier already overdue restarts with nothing left.
    """
    if unit is TimeUnit.WORKING_HOURS:
        return int(cal.office_seconds_between(stopped_at, due_at))
    stop_day = cal.local(stopped_at).date()
    due_day = cal.local(due_at).date()
    if unit is TimeUnit.CALENDAR_DAYS:
        return max(0, (due_day - stop_day).days)
    left, day = 0, stop_day
    while True:
        day = cal.next_working_day(day)
        if day > due_day:
            return left
        left += 1


def due_after_restart(
    cal: WorkCalendar, restarted_at: datetime, remaining: int, unit: TimeUnit
) -> datetime:
    """The new appointment when the clock restarts with ``remaining`` left."""
    if unit is TimeUnit.WORKING_HOURS:
        return cal.add_office_seconds(restarted_at, remaining)
    start = reception_day(cal, restarted_at)
    if unit is TimeUnit.WORKING_DAYS:
        return add_working_days(cal, start, remaining)
    return add_calendar_days(cal, start, remaining)
