"""Events to dossier state: a pure fold, shared by the node and the central store.

``apply(state, event)`` never reads a clock, a calendar or a database, so replaying the
same events anywhere gives the same state.
"""

from __future__ import annotations

import msgspec

from rules.event_kinds import (
    DocumentAttached,
    DossierEvent,
    DossierRated,
    DossierReceived,
    DossierTransitioned,
    LookupPinIssued,
    Person,
)
from rules.lifecycle import NATIONAL_END, PROCESSING_END, Action, Status
from rules.ratings import Rating


class DocumentRef(msgspec.Struct, frozen=True):
    sha256: str
    size: int
    mime: str
    role: str
    copy_kind: str
    filename: str
    attached_at: str
    event_id: str


class Conflict(msgspec.Struct, frozen=True):
    event_id: str
    action: str
    expected_status: int  # what the event's author saw
    found_status: int  # what the dossier was when the event was applied


class DossierState(msgspec.Struct):
    id: str
    code: str
    origin: str
    procedure_code: str
    procedure_version: str
    procedure_name: str
    time_limit: int
    time_unit: str
    applicant: Person
    proxy: Person | None
    channel: str
    components: list[str]
    status: int
    submitted_at: str
    received_at: str | None
    due_at: str | None  # current appointment (moved by form 04 and by the clock stop)
    statutory_due_at: str | None  # legal deadline: moved only by the clock stop
    clock_stopped_at: str | None = None
    clock_remaining: int | None = None
    statutory_remaining: int | None = None
    supplement_count: int = 0
    reschedule_count: int = 0
    finished_at: str | None = None  # processing end: first of resolved/returned/stopped/refused
    resolved_at: str | None = None
    returned_at: str | None = None
    updated_at: str = ""
    documents: list[DocumentRef] = msgspec.field(default_factory=list)
    conflicts: list[Conflict] = msgspec.field(default_factory=list)
    same_day_cutoff: str = "15:00"
    # Years the deadline's count reached without their calendar (the date is provisional).
    provisional_years: list[int] = msgspec.field(default_factory=list)
    # The running clock segment: when it started (reception or the last restart) and how
    # many units each deadline was given then; a clock stop measures what is left from
    # these, on the unshifted limit. None for a date set by hand (form 04) and for states
    # folded before these were kept.
    clock_started_at: str | None = None
    statutory_allotted: int | None = None
    appointment_allotted: int | None = None
    # Processing end as Decision 766/QĐ-TTg counts it: like ``finished_at``, but a
    # withdrawal (7) ends it, and a supplement that never came ends it at the request.
    national_end_at: str | None = None
    # The citizen's lookup PIN (staff and the city's lookup only); "" until one is issued.
    lookup_pin: str = ""
    # The citizen's satisfaction rating, once the result was returned (rules/ratings.py).
    rating: Rating | None = None


class ProjectionError(Exception):
    """An event cannot be applied to the state it was given (e.g. it names no dossier)."""


def apply(
    state: DossierState | None, event: DossierEvent, *, origin: str, event_id: str, recorded_at: str
) -> DossierState:
    match event:
        case DossierReceived():
            if state is not None:
                raise ProjectionError(f"dossier {event.dossier_id} is already received")
            return DossierState(
                id=event.dossier_id,
                code=event.code,
                origin=origin,
                procedure_code=event.procedure_code,
                procedure_version=event.procedure_version,
                procedure_name=event.procedure_name,
                time_limit=event.time_limit,
                time_unit=event.time_unit,
                applicant=event.applicant,
                proxy=event.proxy,
                channel=event.channel,
                components=list(event.components),
                status=event.status,
                submitted_at=event.submitted_at,
                received_at=event.received_at,
                due_at=event.due_at,
                statutory_due_at=event.due_at,
                updated_at=recorded_at,
                same_day_cutoff=event.same_day_cutoff,
                provisional_years=list(event.provisional_years),
                clock_started_at=event.received_at,
                statutory_allotted=_allotted(event.time_limit, event.time_unit, event.received_at),
                appointment_allotted=_allotted(
                    event.time_limit, event.time_unit, event.received_at
                ),
                lookup_pin=event.lookup_pin,
            )
        case DossierTransitioned():
            if state is None:
                raise ProjectionError(f"event {event_id}: dossier {event.dossier_id} is unknown")
            return _transition(state, event, event_id, recorded_at)
        case DocumentAttached():
            if state is None:
                raise ProjectionError(f"event {event_id}: dossier {event.dossier_id} is unknown")
            ref = DocumentRef(
                event.sha256,
                event.size,
                event.mime,
                event.role,
                event.copy_kind,
                event.filename,
                recorded_at,
                event_id,
            )
            state.documents.append(ref)
            state.updated_at = recorded_at
            return state
        case LookupPinIssued():
            if state is None:
                raise ProjectionError(f"event {event_id}: dossier {event.dossier_id} is unknown")
            # The first PIN stands: a slip already printed with it must keep working.
            if not state.lookup_pin:
                state.lookup_pin = event.pin
            return state
        case DossierRated():
            if state is None:
                raise ProjectionError(f"event {event_id}: dossier {event.dossier_id} is unknown")
            # Once per dossier, after the result was returned: the node refuses any other,
            # and every site's fold ignores one that came anyway (a forged or buggy log), so
            # the indicators count the same single rating everywhere.
            if state.rating is None and state.status == Status.RESULT_RETURNED:
                state.rating = Rating(
                    event.level, event.comment, recorded_at, event.returned_by, event_id
                )
            return state


def _allotted(limit: int, unit: str, received_at: str | None) -> int | None:
    """The limit in the unit a clock stop measures what is left in (seconds for hours)."""
    if received_at is None:
        return None
    return limit * 3600 if unit == "working_hours" else limit


def _transition(
    state: DossierState, event: DossierTransitioned, event_id: str, recorded_at: str
) -> DossierState:
    at = event.at or recorded_at
    if event.from_status != state.status:
        # Two offices acted on the same dossier concurrently (node and centre). Both events
        # are kept in the log; the dossier is flagged, and the later one still applies.
        state.conflicts.append(Conflict(event_id, event.action, event.from_status, state.status))
    if state.national_end_at is None and event.to_status in NATIONAL_END:
        unanswered = state.status == Status.SUPPLEMENT_REQUESTED and state.clock_stopped_at
        state.national_end_at = state.clock_stopped_at if unanswered else at
    state.status = event.to_status
    if event.received_at is not None:
        state.received_at = event.received_at
        state.clock_started_at = event.received_at
        allotted = _allotted(state.time_limit, state.time_unit, event.received_at)
        state.statutory_allotted = state.appointment_allotted = allotted
    if event.due_at is not None:
        state.due_at = event.due_at
    if event.statutory_due_at is not None:
        state.statutory_due_at = event.statutory_due_at
    if event.provisional_years is not None:
        state.provisional_years = list(event.provisional_years)
    action = event.action
    if action == Action.COMPLETE_SUPPLEMENT and state.clock_stopped_at is not None:
        state.clock_started_at = at
        state.statutory_allotted = state.statutory_remaining
        state.appointment_allotted = state.clock_remaining
    if action == Action.RESCHEDULE:
        state.reschedule_count += 1
        state.appointment_allotted = None  # a date set by hand, not a count
    elif action == Action.REQUEST_SUPPLEMENT:
        state.supplement_count += 1
        # Before acceptance (1 -> 5) no clock runs, so none is stopped.
        state.clock_stopped_at = at if state.received_at is not None else None
        state.clock_remaining = event.clock_remaining
        state.statutory_remaining = event.statutory_remaining
    elif action == Action.COMPLETE_SUPPLEMENT or state.status != Status.SUPPLEMENT_REQUESTED:
        state.clock_stopped_at = None
        state.clock_remaining = None
        state.statutory_remaining = None
    if state.status in PROCESSING_END and state.finished_at is None:
        state.finished_at = at
    if state.status == Status.RESOLVED and state.resolved_at is None:
        state.resolved_at = at
    if state.status == Status.RESULT_RETURNED:
        state.returned_at = at
        if state.resolved_at is None:
            state.resolved_at = at
    state.updated_at = recorded_at
    return state
