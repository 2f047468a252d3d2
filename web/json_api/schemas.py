"""What the API sends: dossier, event and procedure views, times shown in +07:00."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from rules.clock import to_local_iso
from rules.event_kinds import Person
from rules.event_record import EventRecord
from rules.lifecycle import STATUS_LABELS_VI, Status
from rules.projection import Conflict, DossierState
from rules.timeliness import is_overdue, timeliness


class DocumentOut(msgspec.Struct, frozen=True):
    sha256: str
    size: int
    mime: str
    role: str
    copy_kind: str
    filename: str
    attached_at: str | None
    url: str


class EventOut(msgspec.Struct, frozen=True):
    origin: str
    seq: int
    id: str
    kind: str
    recorded_at: str | None
    actor: str
    format: int
    body: dict[str, Any]


class DossierOut(msgspec.Struct, frozen=True):
    id: str
    code: str
    origin: str
    procedure_code: str
    procedure_version: str
    procedure_name: str
    status: int
    status_label: str
    channel: str
    applicant: Person
    proxy: Person | None
    components: list[str]
    submitted_at: str | None
    received_at: str | None
    due_at: str | None  # the appointment given to the applicant (ngày hẹn trả)
    statutory_due_at: str | None  # the legal deadline that overdue and on-time are judged by
    overdue: bool
    timeliness: str | None  # early | on_time | late, once processing has ended
    clock_stopped: bool
    supplement_count: int
    reschedule_count: int
    finished_at: str | None
    documents: list[DocumentOut]
    conflicts: list[Conflict]
    events: list[EventOut] | None = None
    # Years the deadline was counted through without their holiday calendar: the
    # appointment is provisional until they are imported.
    provisional_years: list[int] = msgspec.field(default_factory=list)
    # The citizen's PIN for the public lookup (printed on form 01); staff only.
    lookup_pin: str = ""


class DossierPage(msgspec.Struct, frozen=True):
    items: list[DossierOut]
    total: int
    limit: int
    offset: int


def event_out(record: EventRecord) -> EventOut:
    body = msgspec.json.decode(record.body)
    return EventOut(
        record.origin,
        record.seq,
        record.id,
        record.kind,
        to_local_iso(record.recorded_at),
        record.actor,
        record.format,
        body,
    )


def dossier_out(
    state: DossierState, now: datetime, events: list[EventRecord] | None = None
) -> DossierOut:
    verdict = timeliness(state)
    return DossierOut(
        id=state.id,
        code=state.code,
        origin=state.origin,
        procedure_code=state.procedure_code,
        procedure_version=state.procedure_version,
        procedure_name=state.procedure_name,
        status=state.status,
        status_label=STATUS_LABELS_VI[Status(state.status)],
        channel=state.channel,
        applicant=state.applicant,
        proxy=state.proxy,
        components=state.components,
        submitted_at=to_local_iso(state.submitted_at),
        received_at=to_local_iso(state.received_at),
        due_at=to_local_iso(state.due_at),
        statutory_due_at=to_local_iso(state.statutory_due_at),
        overdue=is_overdue(state, now),
        timeliness=None if verdict is None else str(verdict),
        clock_stopped=state.clock_stopped_at is not None,
        supplement_count=state.supplement_count,
        reschedule_count=state.reschedule_count,
        finished_at=to_local_iso(state.finished_at),
        documents=[
            DocumentOut(
                d.sha256,
                d.size,
                d.mime,
                d.role,
                d.copy_kind,
                d.filename,
                to_local_iso(d.attached_at),
                f"/api/v1/documents/{d.sha256}",
            )
            for d in state.documents
        ],
        conflicts=state.conflicts,
        events=None if events is None else [event_out(e) for e in events],
        provisional_years=list(state.provisional_years),
        lookup_pin=state.lookup_pin,
    )
