"""The indicators of the export, per commune (and for the city) per office calendar month.

The same figures as the node's monthly indicators (its page and CSV): ``rules.indicators``
over each month's window, with Decision 766/QĐ-TTg's progress and digitisation rates.
Progress counts the dossiers still in progress at the export's time, as 766's formula does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from central.export_rows import Row
from rules.clock import OFFICE_TZ, from_utc_iso
from rules.indicators import compute
from rules.projection import DossierState

#: An export holds at most this many months of indicators (the newest ones).
MAX_MONTHS = 120

Month = tuple[int, int]


def month_of(moment: datetime) -> Month:
    local = moment.astimezone(OFFICE_TZ)
    return local.year, local.month


def month_bounds(month: Month) -> tuple[datetime, datetime]:
    year, number = month
    start = datetime(year, number, 1, tzinfo=OFFICE_TZ)
    after = (year + 1, 1) if number == 12 else (year, number + 1)
    return start, datetime(*after, 1, tzinfo=OFFICE_TZ)


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last`` inclusive, the newest ``MAX_MONTHS`` of them."""
    start = max(first[0] * 12 + first[1] - 1, last[0] * 12 + last[1] - MAX_MONTHS)
    end = last[0] * 12 + last[1] - 1
    return [(index // 12, index % 12 + 1) for index in range(start, end + 1)]


def export_months(
    states: Iterable[DossierState], start: str | None, end: str | None, now: datetime
) -> list[Month]:
    """The months an export covers: those of ``[start, end)`` (UTC ISO bounds) or, unbounded,
    from the first dossier's reception to the month of ``now``."""
    if start is not None:
        first = month_of(from_utc_iso(start))
    else:
        received = [s.received_at for s in states if s.received_at is not None]
        first = month_of(from_utc_iso(min(received))) if received else month_of(now)
    last = month_of(from_utc_iso(end) - timedelta(microseconds=1)) if end else month_of(now)
    return months_between(first, last)


def month_rows(states: list[DossierState], months: list[Month], now: datetime) -> list[Row]:
    """One row of figures per month, over ``states`` (one commune's, or every commune's)."""
    rows: list[Row] = []
    for month in months:
        start, end = month_bounds(month)
        figures = compute(states, start, end, now)
        national = figures.national
        assert national is not None  # compute always fills it
        rows.append(
            {
                "month": f"{month[0]:04d}-{month[1]:02d}",
                "received": figures.received,
                "resolved": figures.resolved,
                "finished": figures.finished,
                "on_time": figures.on_time,
                "early": figures.early,
                "late": figures.late,
                "digitised": figures.digitised,
                "on_time_rate": figures.on_time_rate,
                "progress_rate": national.progress_rate,
                "digitisation_rate": national.digitisation_rate,
            }
        )
    return rows
