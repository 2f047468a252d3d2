"""What a transition does to the clock: new appointments, the supplement clock stop.

Shared by the node and the city, so a transition appended at either site records the same
timing fields for the same state, request, calendar and moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rules.clock import from_utc_iso, to_utc_iso
from rules.due_dates import TimeUnit, compute_due, due_after_restart, remaining_at_stop
from rules.errors import DossierError, aware_time
from rules.lifecycle import Action
from rules.projection import DossierState
from rules.work_calendar import WorkCalendar

if TYPE_CHECKING:
    from node.dossier_service import TransitionRequest


def timing_for(
    state: DossierState,
    req: TransitionRequest,
    calendar: Callable[[], WorkCalendar],
    now: datetime,
) -> dict[str, Any]:
    """The clock consequences of an action, decided now and recorded in its event.

    ``calendar`` is called only when the action needs one (the node's calendar, at the node
    from its cache, at the city rebuilt from the node's replicated calendar events).
    """
    unit = TimeUnit(state.time_unit)
    if req.action == Action.RECEIVE:
        due = to_utc_iso(compute_due(calendar(), now, state.time_limit, unit))
        return {"received_at": to_utc_iso(now), "due_at": due, "statutory_due_at": due}
    if req.action == Action.REQUEST_SUPPLEMENT:
        cal = calendar()
        return {
            "clock_remaining": _remaining(cal, state.due_at, now, unit),
            "statutory_remaining": _remaining(cal, state.statutory_due_at, now, unit),
        }
    if req.action == Action.COMPLETE_SUPPLEMENT:
        cal = calendar()
        fields: dict[str, Any] = {}
        if state.clock_remaining is not None:
            fields["due_at"] = to_utc_iso(due_after_restart(cal, now, state.clock_remaining, unit))
        if state.statutory_remaining is not None:
            fields["statutory_due_at"] = to_utc_iso(
                due_after_restart(cal, now, state.statutory_remaining, unit)
            )
        return fields
    if req.action == Action.RESCHEDULE:
        if req.due_at is None:
            raise DossierError("reschedule needs due_at, the new appointment", "due_at")
        aware_time(req.due_at, "due_at", "2027-02-12T17:00:00+07:00")
        if req.due_at <= now or (state.due_at and req.due_at <= from_utc_iso(state.due_at)):
            raise DossierError(
                "due_at must be later than now and than the current appointment", "due_at"
            )
        return {"due_at": to_utc_iso(req.due_at)}
    if req.due_at is not None:
        raise DossierError(
            f"due_at is only accepted with action 'reschedule', not '{req.action}'", "due_at"
        )
    return {}


def _remaining(cal: WorkCalendar, due_at: str | None, now: datetime, unit: TimeUnit) -> int | None:
    return None if due_at is None else remaining_at_stop(cal, from_utc_iso(due_at), now, unit)
