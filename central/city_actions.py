"""What the city itself appends: a dossier transition, catalog and calendar updates.

A transition follows the node's rules (``rules.lifecycle``, the notes of
``node.dossier_service.NOTE_REQUIRED``, the clock rules of ``rules.due_dates``) against the
city's projection of the dossier, and records the same decided fields the node would, so
the node folds it without a calendar. The calendar used is the node's own, rebuilt from
the calendar events of its log (its own and the city's); office hours come from the city
config, because a node's office hours are not replicated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time
from typing import Any

from central.store import AppendResult, CentralStore, Decide, DossierContext
from node.dossier_service import NOTE_REQUIRED, DossierError, TransitionRequest
from node.reference_data import CalendarEntry, ProcedureEntry
from rules.clock import from_utc_iso, to_utc_iso
from rules.event_kinds import (
    CalendarDaySet,
    DossierTransitioned,
    EventBody,
    ProcedureUpserted,
    decode_body,
)
from rules.event_record import EventRecord
from rules.lifecycle import Status, next_status
from rules.projection import DossierState
from rules.transitions import timing_for
from rules.work_calendar import WorkCalendar


def node_calendar(
    calendar_events: Iterable[EventRecord], periods: Sequence[tuple[time, time]]
) -> WorkCalendar:
    """The node's working calendar from its calendar events; the latest entry per day wins."""
    days: dict[str, str] = {}
    for record in calendar_events:  # canonical order, so later events override
        body = decode_body(record.body)
        if isinstance(body, CalendarDaySet):
            days[body.date] = body.kind
    return WorkCalendar.from_days(
        ((datetime.fromisoformat(d).date(), k) for d, k in days.items()), periods
    )


def _timing(
    state: DossierState, req: TransitionRequest, cal: WorkCalendar, now: datetime
) -> dict[str, Any]:
    """The clock consequences of an action, by the node's own rules (shared code)."""
    return timing_for(state, req, lambda: cal, now)


def decide_transition(req: TransitionRequest, periods: Sequence[tuple[time, time]]) -> Decide:
    """A ``Decide`` for the store: validate ``req`` against the dossier as the city holds it."""
    if req.action in NOTE_REQUIRED and not req.note.strip():
        raise DossierError(
            f"action '{req.action}' needs a note (the reason written on the form)", "note"
        )

    def decide(ctx: DossierContext) -> DossierTransitioned:
        status = Status(ctx.state.status)
        target = next_status(req.action, status)  # IllegalTransition: 409, nothing written
        now = from_utc_iso(ctx.recorded_at)
        fields = _timing(ctx.state, req, node_calendar(ctx.calendar, periods), now)
        return DossierTransitioned(
            dossier_id=ctx.state.id,
            action=str(req.action),
            from_status=int(status),
            to_status=int(target),
            note=req.note.strip(),
            at=ctx.recorded_at,
            **fields,
        )

    return decide


def transition(
    store: CentralStore,
    dossier_id: str,
    req: TransitionRequest,
    user: str,
    periods: Sequence[tuple[time, time]],
    now: datetime,
) -> AppendResult:
    """Append the city's transition to a commune's dossier (it flows down to the node)."""
    return store.append_central(
        dossier_id, decide_transition(req, periods), f"central:{user}", to_utc_iso(now)
    )


def reference_bodies(
    current: Iterable[EventRecord],
    procedures: Iterable[ProcedureEntry],
    days: Iterable[CalendarEntry],
) -> list[EventBody]:
    """Events for the entries that differ from what the node's log says now."""
    latest: dict[tuple[str, ...], EventBody] = {}
    for record in current:  # canonical order: the last one is what the node holds
        body = decode_body(record.body)
        if isinstance(body, ProcedureUpserted):
            latest[("p", body.code, body.version)] = body
        elif isinstance(body, CalendarDaySet):
            latest[("d", body.date)] = body
    wanted: list[tuple[tuple[str, ...], EventBody]] = [
        (
            ("p", p.code, p.version),
            ProcedureUpserted(
                p.code,
                p.version,
                p.name,
                p.field,
                p.time_limit,
                p.time_unit,
                p.online_level,
                list(p.components),
                p.sample,
            ),
        )
        for p in procedures
    ]
    wanted += [
        (("d", d.date.isoformat()), CalendarDaySet(d.date.isoformat(), d.kind, d.name))
        for d in days
    ]
    return [body for key, body in wanted if latest.get(key) != body]


def push_reference(
    store: CentralStore,
    node_ids: Iterable[str],
    procedures: list[ProcedureEntry],
    days: list[CalendarEntry],
    user: str,
    now: datetime,
) -> dict[str, int]:
    """Append catalog/calendar changes to each node's log; events appended per node."""
    appended: dict[str, int] = {}
    for node_id in node_ids:
        bodies = reference_bodies(store.reference_events(node_id), procedures, days)
        records = store.append_reference(node_id, bodies, f"central:{user}", to_utc_iso(now))
        appended[node_id] = len(records)
    return appended
