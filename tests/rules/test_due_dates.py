"""Appointment dates: weekends, holidays, make-up days, after hours, hour limits, clock stop."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from rules.clock import OFFICE_TZ
from rules.due_dates import TimeUnit, compute_due, due_after_restart, remaining_at_stop
from rules.work_calendar import WorkCalendar

WD, CD, WH = TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_HOURS

# A small calendar in 2026: 30 Apr and 1 May holidays (Thu, Fri); Sat 9 May a make-up day.
CAL = WorkCalendar.from_days(
    [
        (date(2026, 4, 30), "holiday"),
        (date(2026, 5, 1), "holiday"),
        (date(2026, 5, 9), "workday"),
    ]
)


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=OFFICE_TZ)


@pytest.mark.parametrize(
    ("received", "limit", "expected"),
    [
        (at(2026, 4, 20), 3, at(2026, 4, 23, 17)),  # Mon -> Thu, plain week
        (at(2026, 4, 23), 2, at(2026, 4, 27, 17)),  # Thu -> Mon, skips the weekend
        (at(2026, 4, 28), 3, at(2026, 5, 5, 17)),  # Tue -> skips 30 Apr, 1 May, weekend
        (at(2026, 5, 7), 2, at(2026, 5, 9, 17)),  # Thu -> Sat 9 May, a make-up working day
        (at(2026, 4, 20, 17, 0), 1, at(2026, 4, 22, 17)),  # at closing: counts from Tue
        (at(2026, 4, 20, 16, 59), 1, at(2026, 4, 21, 17)),  # a minute before closing: Mon
        (at(2026, 4, 20, 12, 0), 1, at(2026, 4, 21, 17)),  # lunch break is still that day
        (at(2026, 4, 20, 6, 0), 1, at(2026, 4, 21, 17)),  # before opening is still that day
        (at(2026, 4, 25), 1, at(2026, 4, 28, 17)),  # Saturday: counts from Mon
        (at(2026, 4, 30), 1, at(2026, 5, 5, 17)),  # holiday: counts from Mon 4 May
        (at(2026, 4, 20), 0, at(2026, 4, 20, 17)),  # "same day": closing of the day
    ],
)
def test_working_days(received: datetime, limit: int, expected: datetime) -> None:
    assert compute_due(CAL, received, limit, WD) == expected


@pytest.mark.parametrize(
    ("received", "limit", "expected"),
    [
        (at(2026, 4, 20), 3, at(2026, 4, 23, 17)),
        (at(2026, 4, 20), 5, at(2026, 4, 27, 17)),  # lands on Sat 25 -> next working day Mon 27
        (at(2026, 4, 27), 3, at(2026, 5, 4, 17)),  # lands on 30 Apr (holiday) -> Mon 4 May
        (at(2026, 5, 4), 5, at(2026, 5, 9, 17)),  # lands on Sat 9 May, a working day
        (at(2026, 4, 24, 18), 2, at(2026, 4, 29, 17)),  # Fri after hours -> from Mon 27
    ],
)
def test_calendar_days_never_end_on_a_non_working_day(
    received: datetime, limit: int, expected: datetime
) -> None:
    due = compute_due(CAL, received, limit, CD)
    assert due == expected
    assert CAL.is_working_day(due.date())


@pytest.mark.parametrize(
    ("received", "hours", "expected"),
    [
        (at(2026, 4, 20, 8, 0), 2, at(2026, 4, 20, 10, 0)),
        (at(2026, 4, 20, 10, 30), 2, at(2026, 4, 20, 14, 30)),  # across the lunch break
        (at(2026, 4, 20, 16, 0), 2, at(2026, 4, 21, 8, 30)),  # across the night
        (at(2026, 4, 20, 18, 0), 1, at(2026, 4, 21, 8, 30)),  # after hours: from next opening
        (at(2026, 4, 24, 16, 0), 4, at(2026, 4, 27, 10, 30)),  # across the weekend
        (at(2026, 4, 29, 16, 0), 2, at(2026, 5, 4, 8, 30)),  # across the holidays
        (at(2026, 4, 20, 7, 30), 7.5, at(2026, 4, 20, 17, 0)),  # exactly a full office day
    ],
)
def test_working_hours(received: datetime, hours: float, expected: datetime) -> None:
    assert CAL.add_office_seconds(received, hours * 3600) == expected
    if hours == int(hours):
        assert compute_due(CAL, received, int(hours), WH) == expected


def test_supplement_clock_stop_keeps_the_days_that_were_left() -> None:
    received = at(2026, 4, 20)  # Mon; 5 working days -> Mon 27 Apr 17:00
    due = compute_due(CAL, received, 5, WD)
    assert due == at(2026, 4, 27, 17)
    # Stopped on Wed 22: Thu 23, Fri 24, Mon 27 are left (the day of the stop is used).
    left = remaining_at_stop(CAL, due, at(2026, 4, 22, 10), WD)
    assert left == 3
    # Restarted on Tue 5 May (after the holidays): Wed 6, Thu 7, Fri 8.
    assert due_after_restart(CAL, at(2026, 5, 5, 10), left, WD) == at(2026, 5, 8, 17)
    # Restarted after closing counts from the next working day.
    assert due_after_restart(CAL, at(2026, 5, 5, 18), left, WD) == at(2026, 5, 9, 17)


def test_supplement_stop_on_the_day_of_reception_keeps_everything() -> None:
    due = compute_due(CAL, at(2026, 4, 20), 3, WD)
    assert remaining_at_stop(CAL, due, at(2026, 4, 20, 15), WD) == 3


def test_supplement_stop_when_already_overdue_restarts_with_nothing() -> None:
    due = compute_due(CAL, at(2026, 4, 20), 1, WD)
    assert remaining_at_stop(CAL, due, at(2026, 4, 24), WD) == 0
    assert remaining_at_stop(CAL, due, at(2026, 4, 24), CD) == 0
    assert remaining_at_stop(CAL, due, at(2026, 4, 24), WH) == 0
    assert due_after_restart(CAL, at(2026, 4, 27, 9), 0, WD) == at(2026, 4, 27, 17)


def test_hour_limit_clock_stop_counts_office_seconds() -> None:
    received = at(2026, 4, 20, 10, 0)
    due = compute_due(CAL, received, 4, WH)  # 10:00 -> 11:30 (1.5h) + 13:30 -> 16:00
    assert due == at(2026, 4, 20, 16, 0)
    left = remaining_at_stop(CAL, due, at(2026, 4, 20, 11, 0), WH)
    assert left == 3 * 3600  # 11:00 -> 11:30, then 13:30 -> 16:00
    # Restart Tue 16:00: one hour that day, two more from Wed 07:30.
    assert due_after_restart(CAL, at(2026, 4, 21, 16, 0), left, WH) == at(2026, 4, 22, 9, 30)


def test_calendar_day_clock_stop() -> None:
    due = compute_due(CAL, at(2026, 4, 20), 10, CD)  # 30 Apr holiday -> Mon 4 May
    assert due == at(2026, 5, 4, 17)
    left = remaining_at_stop(CAL, due, at(2026, 4, 22), CD)
    assert left == 12
    assert due_after_restart(CAL, at(2026, 5, 11), left, CD) == at(2026, 5, 25, 17)  # Sat 23 -> Mon


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="time limit"):
        compute_due(CAL, at(2026, 4, 20), -1, WD)


def test_shipped_2026_calendar_moves_tet_appointments(runtime: object) -> None:
    from node.reference_data import work_calendar
    from node.runtime import NodeRuntime

    assert isinstance(runtime, NodeRuntime)
    cal = work_calendar(runtime.db.read(), runtime.config.office_periods())
    # Received Fri 13 Feb 2026; Tết break 16-20 Feb: 1 working day -> Mon 23 Feb.
    assert compute_due(cal, at(2026, 2, 13), 1, WD) == at(2026, 2, 23, 17)
    assert not cal.is_working_day(date(2026, 2, 17))
