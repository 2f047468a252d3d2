"""Years without a holiday calendar: which dossiers they leave provisional, what an import
of one would change, and the yearly reminder.

Appointments are fixed when the dossier is received, so importing a year's calendar later
repairs nothing by itself: it can only say which dossiers' deadlines it would move, for
staff to issue form 04 (a new appointment) where needed. Pure: reads dossier states and a
calendar, so the node and the city can both ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import msgspec

from rules.clock import from_utc_iso, to_utc_iso
from rules.due_dates import TimeUnit, due_after_restart, parse_cutoff
from rules.lifecycle import Status
from rules.projection import DossierState
from rules.work_calendar import WorkCalendar

# From this month on, next year's calendar should be there (the government announces the
# next year's holidays in the autumn; appointments made in December already reach January).
WARN_FROM_MONTH = 10


class AffectedDossier(msgspec.Struct, frozen=True):
    id: str
    code: str
    provisional_years: list[int]
    statutory_due_at: str | None  # the deadline recorded at reception (UTC ISO)
    # What the same count gives with the calendar now known; None while the clock is
    # stopped (the restart will count with it).
    recomputed_due_at: str | None
    clock_stopped: bool


def _open(state: DossierState) -> bool:
    return state.finished_at is None and state.status != Status.SUBMITTED


def recomputed_deadline(state: DossierState, cal: WorkCalendar) -> str | None:
    """The legal deadline of the running clock segment counted with ``cal``; None when it
    cannot be recounted (clock stopped, or a state folded before segments were kept)."""
    if state.clock_stopped_at is not None or state.clock_started_at is None:
        return None
    if state.statutory_allotted is None:
        return None
    due = due_after_restart(
        cal,
        from_utc_iso(state.clock_started_at),
        state.statutory_allotted,
        TimeUnit(state.time_unit),
        parse_cutoff(state.same_day_cutoff),
    )
    return to_utc_iso(due)


def affected_by_import(
    states: Iterable[DossierState], cal: WorkCalendar, years: Iterable[int]
) -> list[AffectedDossier]:
    """Open dossiers provisional on one of ``years`` whose deadline ``cal`` (the calendar
    with those years imported) would change, or whose clock is stopped (it restarts with
    the new calendar). Ordered by code."""
    wanted = set(years)
    out: list[AffectedDossier] = []
    for s in states:
        if not _open(s) or not wanted & set(s.provisional_years):
            continue
        recomputed = recomputed_deadline(s, cal)
        stopped = s.clock_stopped_at is not None
        if stopped or recomputed != s.statutory_due_at:
            out.append(
                AffectedDossier(
                    s.id, s.code, list(s.provisional_years), s.statutory_due_at, recomputed, stopped
                )
            )
    return sorted(out, key=lambda a: a.code)


def calendar_warnings(states: Iterable[DossierState], cal: WorkCalendar, today: date) -> list[str]:
    """What ``motcua check`` and the node's status say about missing calendars."""
    waiting: dict[int, list[str]] = {}
    for s in states:
        if _open(s):
            for year in s.provisional_years:
                if not cal.has_year(year):
                    waiting.setdefault(year, []).append(s.code)
    warnings = [
        f"the holiday calendar of {year} was never imported: {len(codes)} open dossiers have "
        f"a provisional appointment ({', '.join(sorted(codes)[:10])}"
        f"{', ...' if len(codes) > 10 else ''}); import it with 'motcua calendar import'"
        for year, codes in sorted(waiting.items())
    ]
    if today.month >= WARN_FROM_MONTH and not cal.has_year(today.year + 1):
        warnings.append(
            f"the holiday calendar of {today.year + 1} is not imported yet: appointments "
            f"reaching {today.year + 1} will be provisional until it is"
        )
    return warnings
