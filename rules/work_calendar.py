"""Which days and hours the office works: weekends, holidays, make-up days, office hours.

The government moves days every year, so holidays and make-up working days are data
(``calendar_days``), never code.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rules.clock import OFFICE_TZ

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 30), time(17, 0)),
)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()  # Saturdays or Sundays declared working
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    tz: ZoneInfo = field(default=OFFICE_TZ)

    @classmethod
    def from_days(
        cls,
        days: Iterable[tuple[date, str]],
        periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
    ) -> WorkCalendar:
        holidays: set[date] = set()
        workdays: set[date] = set()
        for day, kind in days:
            (holidays if kind == "holiday" else workdays).add(day)
        return cls(frozenset(holidays), frozenset(workdays), tuple(periods))

    def has_year(self, year: int) -> bool:
        """Whether any day of ``year`` was imported. Every year has holidays (1 January at
        least), so a year with none has no calendar: its holidays are unknown."""
        return year in self._years

    @functools.cached_property
    def _years(self) -> frozenset[int]:
        return frozenset(d.year for d in self.holidays | self.makeup_workdays)

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_day_on_or_after(self, day: date) -> date:
        return day if self.is_working_day(day) else self.next_working_day(day)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, self.tz)

    def closing(self, day: date) -> datetime:
        return self.at(day, self.periods[-1][1])

    def office_intervals(self, start_day: date) -> Iterator[tuple[datetime, datetime]]:
        """Office periods from ``start_day`` on, in order, skipping non-working days."""
        day = self.working_day_on_or_after(start_day)
        while True:
            for opens, closes in self.periods:
                yield self.at(day, opens), self.at(day, closes)
            day = self.next_working_day(day)

    def office_seconds_between(self, start: datetime, end: datetime) -> float:
        """Office time elapsed in ``[start, end)``, in seconds."""
        if end <= start:
            return 0.0
        total = 0.0
        for opens, closes in self.office_intervals(self.local(start).date()):
            if opens >= end:
                break
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return total

    def add_office_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment when ``seconds`` of office time have passed since ``start``."""
        remaining = seconds
        for opens, closes in self.office_intervals(self.local(start).date()):
            if closes <= start:
                continue
            lo = max(opens, start)
            available = (closes - lo).total_seconds()
            if remaining <= available:
                return lo + timedelta(seconds=remaining)
            remaining -= available
        raise AssertionError("office_intervals is infinite")
