"""The transition decision, shared by the node's service and the city's actions.

Given a dossier's state, a request, the calendar and the moment, it decides everything the
event records: whether a note is required, the next status (or IllegalTransition), and the
clock consequences (new appointments, the supplement clock stop). Both sites call this one
function, so a transition appended at either site records the same fields for the same state,
request, calendar and moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec

from rules.clock import from_utc_iso, to_utc_iso
from rules.due_dates import (
    TimeUnit,
    compute_due,
    due_after_restart,
    parse_cutoff,
    provisional_years,
    remaining_at_stop,
    unshifted_end,
)
from rules.errors import DossierError, aware_time
from rules.event_kinds import DossierTransitioned
from rules.lifecycle import Action, Status, next_status
from rules.projection import DossierState
from rules.work_calendar import WorkCalendar

# Actions whose form needs a reason written on it.
NOTE_REQUIRED = frozenset(
    {Action.REFUSE, Action.REQUEST_SUPPLEMENT, Action.STOP, Action.RESCHEDULE}
)

Text = Annotated[str, msgspec.Meta(max_length=2000)]


class TransitionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    action: Action
    note: Text = ""
    due_at: datetime | None = None  # the new appointment, for "reschedule"


def check_note(req: TransitionRequest) -> None:
    """DossierError unless an action whose form prints a reason has one (checked before any
    lock or read, so a refused request costs nothing)."""
    if req.action in NOTE_REQUIRED and not req.note.strip():
        raise DossierError(
            f"action '{req.action}' needs a note (the reason written on the form)", "note"
        )


def decide_transition(
    state: DossierState,
    req: TransitionRequest,
    calendar: Callable[[], WorkCalendar],
    now: datetime,
    at: str,
) -> DossierTransitioned:
    """The event for ``req`` on ``state`` at ``now`` (recorded as ``at``), or DossierError /
    IllegalTransition with nothing decided.

    ``calendar`` is called only when the action needs one (at the node from its cache, at the
    city rebuilt from the node's replicated calendar events).
    """
    check_note(req)
    status = Status(state.status)
    target = next_status(req.action, status, received=state.received_at is not None)
    fields = timing_for(state, req, calendar, now)
    return DossierTransitioned(
        dossier_id=state.id,
        action=str(req.action),
        from_status=int(status),
        to_status=int(target),
        note=req.note.strip(),
        at=at,
        **fields,
    )


def timing_for(
    state: DossierState,
    req: TransitionRequest,
    calendar: Callable[[], WorkCalendar],
    now: datetime,
) -> dict[str, Any]:
    """The clock consequences of an action, decided now and recorded in its event."""
    unit = TimeUnit(state.time_unit)
    cutoff = parse_cutoff(state.same_day_cutoff)
    if req.action == Action.RECEIVE:
        cal = calendar()
        due_at = compute_due(cal, now, state.time_limit, unit, cutoff)
        due = to_utc_iso(due_at)
        return {
            "received_at": to_utc_iso(now),
            "due_at": due,
            "statutory_due_at": due,
            "provisional_years": provisional_years(cal, now, due_at),
        }
    if req.action == Action.REQUEST_SUPPLEMENT:
        cal = calendar()
        return {
            "clock_remaining": _remaining(
                cal, state, state.due_at, state.appointment_allotted, now
            ),
            "statutory_remaining": _remaining(
                cal, state, state.statutory_due_at, state.statutory_allotted, now
            ),
        }
    if req.action == Action.COMPLETE_SUPPLEMENT:
        cal = calendar()
        fields: dict[str, Any] = {}
        if state.clock_remaining is not None:
            due_at = due_after_restart(cal, now, state.clock_remaining, unit, cutoff)
            fields["due_at"] = to_utc_iso(due_at)
        if state.statutory_remaining is not None:
            statutory = due_after_restart(cal, now, state.statutory_remaining, unit, cutoff)
            fields["statutory_due_at"] = to_utc_iso(statutory)
            fields["provisional_years"] = provisional_years(cal, now, statutory)
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


def _remaining(
    cal: WorkCalendar, state: DossierState, due_at: str | None, allotted: int | None, now: datetime
) -> int | None:
    """What is left of one deadline; a calendar-day count is measured on its unshifted end
    when the state knows the running segment (``allotted``), else on the date itself."""
    if due_at is None:
        return None
    unit = TimeUnit(state.time_unit)
    limit_end = None
    if unit is TimeUnit.CALENDAR_DAYS and allotted is not None and state.clock_started_at:
        limit_end = unshifted_end(cal, from_utc_iso(state.clock_started_at), allotted)
    return remaining_at_stop(cal, from_utc_iso(due_at), now, unit, limit_end)
