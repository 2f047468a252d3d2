"""What an event must look like before the city stores and projects it.

The wire format checks a batch's shape; this checks each event's content, because the
event is kept for ever, folded by the shared projection and shown by the API. A node
runs our own code, so a failure here means a bug, a newer node than the city, or a
hostile peer: the whole batch is rejected (and counted), never partly applied.
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

from rules.clock import parse_utc_text
from rules.due_dates import parse_cutoff
from rules.event_kinds import (
    CalendarDaySet,
    DocumentAttached,
    DossierRated,
    DossierReceived,
    DossierTransitioned,
    EventBody,
    LookupPinIssued,
    ProcedureUpserted,
    decode_body,
    kind_of,
)
from rules.event_record import EVENT_FORMAT, EventRecord
from rules.lifecycle import Action, Status
from rules.lookup_pin import is_lookup_pin
from rules.ratings import MAX_COMMENT, RATING_LEVELS, has_control_character
from rules.reference_streams import CALENDAR_STREAM, CATALOG_STREAM

_SHA: Final = re.compile(r"\A[0-9a-f]{64}\Z")
_ID: Final = re.compile(r"\A[0-9A-Za-z-]{1,64}\Z")
_DATE: Final = re.compile(r"\A\d{4}-\d\d-\d\d\Z")
_STATUSES: Final = frozenset(int(s) for s in Status)
_ACTIONS: Final = frozenset(str(a) for a in Action)
MAX_TEXT: Final = 2000  # actor and free-text fields shown by the API


class EventCheckError(ValueError):
    """One event of a batch cannot be accepted; the message names it and says why."""


def _utc(value: str | None, what: str, *, optional: bool = False) -> None:
    if value is None or (optional and value == ""):
        if optional:
            return
        raise EventCheckError(f"{what} is missing")
    try:
        parse_utc_text(value)
    except ValueError as exc:
        raise EventCheckError(f"{what}: {exc}") from None


def _cutoff(value: str) -> None:
    # The transition decision parses it at the city too: a bad one would fail there later.
    try:
        parse_cutoff(value)
    except ValueError as exc:
        raise EventCheckError(str(exc)) from None


def _version(after: str | None) -> None:
    if after is not None and not _ID.match(after):
        raise EventCheckError("after must name an event id (1-64 of 0-9 A-Z a-z -)")


def check_body(body: EventBody, stream: str) -> None:
    """The body's own rules: what the projection and the API rely on."""
    match body:
        case DossierReceived():
            if body.status not in (int(Status.SUBMITTED), int(Status.RECEIVED)):
                raise EventCheckError(f"dossier_received with status {body.status}")
            _utc(body.submitted_at, "submitted_at")
            _utc(body.received_at, "received_at", optional=body.received_at is None)
            _utc(body.due_at, "due_at", optional=body.due_at is None)
            if not body.code or len(body.code) > 50:
                raise EventCheckError("dossier code must be 1-50 characters")
            _cutoff(body.same_day_cutoff)
            if body.lookup_pin and not is_lookup_pin(body.lookup_pin):
                raise EventCheckError("lookup_pin must be 6 digits")
        case DossierTransitioned():
            if body.action not in _ACTIONS:
                raise EventCheckError(f"unknown action {body.action[:40]!r}")
            if body.from_status not in _STATUSES or body.to_status not in _STATUSES:
                raise EventCheckError(f"status {body.from_status} -> {body.to_status}")
            _utc(body.at, "at", optional=True)
            for name in ("received_at", "due_at", "statutory_due_at"):
                value = getattr(body, name)
                _utc(value, name, optional=value is None)
            _version(body.after)
        case DocumentAttached():
            if not _SHA.match(body.sha256) or body.size < 0:
                raise EventCheckError("document_attached needs a SHA-256 and a size >= 0")
            _version(body.after)
        case LookupPinIssued():
            if not is_lookup_pin(body.pin):
                raise EventCheckError("lookup_pin_issued needs a pin of 6 digits")
            _version(body.after)
        case DossierRated():
            if body.level not in RATING_LEVELS:
                raise EventCheckError(f"dossier_rated with unknown level {body.level[:40]!r}")
            if len(body.comment) > MAX_COMMENT or len(body.returned_by) > MAX_TEXT:
                raise EventCheckError(
                    f"dossier_rated: comment over {MAX_COMMENT} or officer over {MAX_TEXT} "
                    "characters"
                )
            if has_control_character(body.comment):
                raise EventCheckError("dossier_rated: the comment holds a control character")
            _version(body.after)
        case ProcedureUpserted():
            if stream != CATALOG_STREAM:
                raise EventCheckError(f"procedure_upserted on stream {stream!r}")
            _cutoff(body.same_day_cutoff)
            return
        case CalendarDaySet():
            if stream != CALENDAR_STREAM or not _DATE.match(body.date):
                raise EventCheckError("calendar_day_set needs stream 'calendar' and a date")
            return
    if not _ID.match(body.dossier_id) or stream != body.dossier_id:
        raise EventCheckError(f"stream {stream[:70]!r} is not the dossier id it names")


def check_event(event: EventRecord) -> EventBody:
    """Raise EventCheckError unless the event can be stored, folded and shown."""
    where = f"event {event.origin}:{event.seq}"
    if not 1 <= event.format <= EVENT_FORMAT:
        raise EventCheckError(
            f"{where}: format {event.format} is not understood here (up to {EVENT_FORMAT}); "
            "upgrade the city before the nodes"
        )
    if not _ID.match(event.id) or not _ID.match(event.stream):
        raise EventCheckError(f"{where}: id and stream must be 1-64 of 0-9 A-Z a-z -")
    _utc(event.recorded_at, f"{where}: recorded_at")
    if not event.actor or len(event.actor) > MAX_TEXT:
        raise EventCheckError(f"{where}: actor must be 1-{MAX_TEXT} characters")
    try:
        body = decode_body(event.body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # ValidationError is one too
        raise EventCheckError(f"{where}: body is not a known event kind: {exc}") from None
    if kind_of(body) != event.kind:
        raise EventCheckError(f"{where}: kind {event.kind[:40]!r} but the body is {kind_of(body)}")
    try:
        check_body(body, event.stream)
    except EventCheckError as exc:
        raise EventCheckError(f"{where}: {exc}") from None
    return body


def check_events(events: list[EventRecord]) -> None:
    """Check every event of a batch; the first problem is raised."""
    ids: set[str] = set()
    for event in events:
        check_event(event)
        if event.id in ids:
            raise EventCheckError(f"event {event.origin}:{event.seq}: id repeated in the batch")
        ids.add(event.id)
