"""Derived facts: overdue (never a status) and early / on time / late for finished dossiers."""

from __future__ import annotations

import enum
from datetime import datetime

from rules.clock import OFFICE_TZ, from_utc_iso
from rules.lifecycle import Status
from rules.projection import DossierState


class Timeliness(enum.StrEnum):
    EARLY = "early"  # finished strictly before the appointment's day
    ON_TIME = "on_time"  # finished at or before the appointment, on its day
    LATE = "late"


def is_overdue(state: DossierState, now: datetime) -> bool:
    """In progress, clock running, past the legal deadline."""
    if state.finished_at is not None or state.statutory_due_at is None:
        return False
    if state.status in (Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED):
        return False  # not yet received, or the clock is stopped
    return now > from_utc_iso(state.statutory_due_at)


def timeliness(state: DossierState) -> Timeliness | None:
    """For a finished dossier with a deadline; None otherwise.

    More than one supplement request counts as late (Decision 766/QĐ-TTg).
    """
    if state.finished_at is None or state.statutory_due_at is None:
        return None
    finished = from_utc_iso(state.finished_at)
    due = from_utc_iso(state.statutory_due_at)
    if finished > due or state.supplement_count > 1:
        return Timeliness.LATE
    if finished.astimezone(OFFICE_TZ).date() < due.astimezone(OFFICE_TZ).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME
