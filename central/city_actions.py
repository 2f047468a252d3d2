"""What the city itself appends: a dossier transition, catalog and calendar updates.

A transition is decided by the same function as at the node
(``rules.transitions.decide_transition``: required notes, legal next status, clock rules)
against the city's projection of the dossier, so it records the same fields the node would
and the node folds it without a calendar. The calendar used is the node's own, rebuilt from
the calendar events of its log (its own and the city's); office hours come from the city
config, because a node's office hours are not replicated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time

from central.store import AppendResult, CentralStore, Decide, DossierContext
from rules.actor import Actor
from rules.calendar_gaps import AffectedDossier, affected_by_import
from rules.clock import from_utc_iso, to_utc_iso
from rules.event_kinds import (
    CalendarDaySet,
    DossierTransitioned,
    EventBody,
    ProcedureUpserted,
    decode_body,
)
from rules.event_record import EventRecord
from rules.reference_entries import CalendarEntry, ProcedureEntry, calendar_event, procedure_event
from rules.transitions import TransitionRequest, check_note, decide_transition
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


def decide_transition_at_city(
    req: TransitionRequest, periods: Sequence[tuple[time, time]]
) -> Decide:
    """A ``Decide`` for the store: validate ``req`` against the dossier as the city holds it."""
    check_note(req)

    def decide(ctx: DossierContext) -> DossierTransitioned:
        # IllegalTransition or DossierError: a 4xx, nothing written.
        return decide_transition(
            ctx.state,
            req,
            lambda: node_calendar(ctx.calendar, periods),
            from_utc_iso(ctx.recorded_at),
            ctx.recorded_at,
        )

    return decide


def transition(
    store: CentralStore,
    dossier_id: str,
    req: TransitionRequest,
    actor: Actor,
    periods: Sequence[tuple[time, time]],
    now: datetime,
) -> AppendResult:
    """Append the city's transition to a commune's dossier (it flows down to the node)."""
    return store.append_central(
        dossier_id, decide_transition_at_city(req, periods), recorded_actor(actor), to_utc_iso(now)
    )


def recorded_actor(actor: Actor) -> str:
    """The author the city's events record: ``central:<user>``, so a node tells them apart."""
    return f"central:{actor.user_id}"


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
        (("p", p.code, p.version), procedure_event(p)) for p in procedures
    ]
    wanted += [(("d", d.date.isoformat()), calendar_event(d)) for d in days]
    return [body for key, body in wanted if latest.get(key) != body]


def push_reference(
    store: CentralStore,
    node_ids: Iterable[str],
    procedures: list[ProcedureEntry],
    days: list[CalendarEntry],
    actor: Actor,
    now: datetime,
) -> dict[str, int]:
    """Append catalog/calendar changes to each node's log; events appended per node."""
    appended: dict[str, int] = {}
    for node_id in node_ids:
        bodies = reference_bodies(store.reference_events(node_id), procedures, days)
        records = store.append_reference(node_id, bodies, recorded_actor(actor), to_utc_iso(now))
        appended[node_id] = len(records)
    return appended


def calendar_affected(
    store: CentralStore, node_id: str, years: Iterable[int], periods: Sequence[tuple[time, time]]
) -> list[AffectedDossier]:
    """The node's open dossiers provisional on ``years`` whose deadline its calendar, as the
    city now holds it, changes (for form 04 where needed; see ``rules.calendar_gaps``)."""
    calendar = node_calendar(store.reference_events(node_id), periods)
    return affected_by_import(store.dossier_states(node_id), calendar, years)
