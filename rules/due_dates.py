"""Appointment dates (ngày hẹn trả) and the supplement clock stop.

Rules (domain brief, issue 2):
- working_days N: close of office on the N-th working day after the day of reception.
  Reception after the last office period, or on a non-working day, counts from the next
  working day, which then plays the part of the day of reception.
- calendar_days N: the day of reception plus N calendar days, closing time; a result
  never falls due on a non-working day, so it moves to the next working day.
- working_hours N: N hours of office time from the moment of reception (from the next
  opening when received outside office hours).
- same_day: returned the same day; received at or after the procedure's cutoff (15:00 by
  default), on a non-working day or after closing, the next working day, at closing time
  (Decree 23/2015 art. 7; Civil Status Law arts. 16, 63). The limit is always 0.
- A supplement request stops the clock; its completion restarts it with what was left.
  What is left is measured in the limit's own unit: whole working days after the day the
  clock stopped (that day counts as used), calendar days, or office seconds. For calendar
  days it is measured on the unshifted limit (the last day before a weekend or holiday
  moved it): only the final date moves off a non-working day, so the shifted days are
  never counted as time left. A same-day limit restarts as a new same-day limit.
- A count that reaches a year whose calendar was never imported cannot know that year's
  holidays: :func:`provisional_years` names those years, and the dossier records them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta

from rules.work_calendar import WorkCalendar


class TimeUnit(enum.StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WORKING_HOURS = "working_hours"
    SAME_DAY = "same_day"


DEFAULT_SAME_DAY_CUTOFF = time(15, 0)


def parse_cutoff(text: str) -> time:
    """``HH:MM`` to a time; ValueError with the text otherwise."""
    try:
        hh, mm = text.split(":")
        if len(hh) != 2 or len(mm) != 2:
            raise ValueError
        return time(int(hh), int(mm))
    except ValueError:
        raise ValueError(f"same_day_cutoff must be HH:MM (e.g. 15:00), got {text!r}") from None


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


def same_day_due(cal: WorkCalendar, received_at: datetime, cutoff: time) -> datetime:
    """Closing time of the day of reception, or of the next working day when received at or
    after ``cutoff``, after closing, or on a non-working day."""
    local = cal.local(received_at)
    day = local.date()
    if not cal.is_working_day(day) or local.time() >= cutoff or local >= cal.closing(day):
        day = cal.next_working_day(day)
    return cal.closing(day)


def unshifted_end(cal: WorkCalendar, started_at: datetime, days: int) -> date:
    """The last day of a calendar-day limit before it is moved off a non-working day."""
    return cal.local(reception_day(cal, started_at)).date() + timedelta(days=days)


def compute_due(
    cal: WorkCalendar,
    received_at: datetime,
    limit: int,
    unit: TimeUnit,
    cutoff: time = DEFAULT_SAME_DAY_CUTOFF,
) -> datetime:
    if limit < 0:
        raise ValueError(f"time limit must be >= 0, got {limit}")
    if unit is TimeUnit.SAME_DAY:
        return same_day_due(cal, received_at, cutoff)
    if unit is TimeUnit.WORKING_HOURS:
        return cal.add_office_seconds(received_at, limit * 3600)
    start = reception_day(cal, received_at)
    if unit is TimeUnit.WORKING_DAYS:
        return add_working_days(cal, start, limit)
    return add_calendar_days(cal, start, limit)


def remaining_at_stop(
    cal: WorkCalendar,
    due_at: datetime,
    stopped_at: datetime,
    unit: TimeUnit,
    limit_end: date | None = None,
) -> int:
    """What is left of the limit when the clock stops (days, or seconds for hour limits).

    ``limit_end``: for calendar days, the unshifted last day of the limit
    (:func:`unshifted_end`); without it the appointment's own day is used, which is right
    only for a date set by hand (form 04). Never negative: a dossier already overdue
    restarts with nothing left.
    """
    if unit is TimeUnit.SAME_DAY:
        return 0
    if unit is TimeUnit.WORKING_HOURS:
        return int(cal.office_seconds_between(stopped_at, due_at))
    stop_day = cal.local(stopped_at).date()
    due_day = cal.local(due_at).date()
    if unit is TimeUnit.CALENDAR_DAYS:
        return max(0, ((limit_end or due_day) - stop_day).days)
    left, day = 0, stop_day
    while True:
        day = cal.next_working_day(day)
        if day > due_day:
            return left
        left += 1


def due_after_restart(
    cal: WorkCalendar,
    restarted_at: datetime,
    remaining: int,
    unit: TimeUnit,
    cutoff: time = DEFAULT_SAME_DAY_CUTOFF,
) -> datetime:
    """The new appointment when the clock restarts with ``remaining`` left."""
    if unit is TimeUnit.SAME_DAY:
        return same_day_due(cal, restarted_at, cutoff)
    if unit is TimeUnit.WORKING_HOURS:
        return cal.add_office_seconds(restarted_at, remaining)
    start = reception_day(cal, restarted_at)
    if unit is TimeUnit.WORKING_DAYS:
        return add_working_days(cal, start, remaining)
    return add_calendar_days(cal, start, remaining)


def provisional_years(cal: WorkCalendar, start: datetime, due: datetime) -> list[int]:
    """The years from ``start`` to ``due`` whose calendar was never imported: the count
    ignored their holidays and make-up days, so the date is provisional until they come."""
    first, last = cal.local(start).year, cal.local(due).year
    return [y for y in range(first, last + 1) if not cal.has_year(y)]
