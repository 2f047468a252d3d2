"""Receiving and processing dossiers: the rules, then one event, then the projection.

Every function here runs one write transaction in which it validates, appends exactly one
event and saves the new state, so a refused request writes nothing at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

import apsw
import msgspec
import uuid6

from node import dossier_store, event_log
from node.appointments import appointment_for, current_procedure
from node.clock_estimate import require_sound_clock
from node.runtime import NodeRuntime
from rules.actor import Actor
from rules.clock import OFFICE_TZ, from_utc_iso, to_utc_iso, utc_now
from rules.errors import DossierError as DossierError  # re-exported: callers import it here
from rules.errors import NotFound as NotFound
from rules.errors import aware_time
from rules.event_kinds import (
    DocumentAttached,
    DossierEvent,
    DossierRated,
    DossierReceived,
    FollowingEvent,
    LookupPinIssued,
    Person,
)
from rules.event_record import EventRecord
from rules.lifecycle import Status
from rules.lookup_pin import PIN_LENGTH, LookupRefused
from rules.permissions import Operation, require
from rules.projection import DossierState, apply
from rules.public_progress import matching_dossier
from rules.ratings import RatingRefused, check_level, clean_comment, returned_by
from rules.replay import last_event_id
from rules.transitions import TransitionRequest, check_note, decide_transition
from rules.work_calendar import WorkCalendar
from storage.blob_store import BlobInfo
from storage.db import scalar

CHANNELS = ("in_person", "online", "post")
ROLES = ("component", "result", "supplement")
COPY_KINDS = ("original", "certified_copy", "electronic")
MAX_CODE_LENGTH = 50


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PersonIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    full_name: Name
    id_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z]{0,20}$")] = ""
    phone: Annotated[str, msgspec.Meta(pattern=r"^[0-9+() .-]{0,20}$")] = ""
    address: Annotated[str, msgspec.Meta(max_length=500)] = ""

    def to_person(self, field: str) -> Person:
        if not self.full_name.strip():
            raise DossierError("full_name is blank", f"{field}.full_name")
        return Person(
            " ".join(self.full_name.split()),
            self.id_number,
            self.phone.strip(),
            self.address.strip(),
        )


class ReceiveRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    procedure_code: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    applicant: PersonIn
    channel: Literal["in_person", "online", "post"]
    components: Annotated[list[Name], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    proxy: PersonIn | None = None
    received_at: datetime | None = None  # paper dossiers entered late; never in the future


def _calendar(rt: NodeRuntime, conn: apsw.Connection) -> WorkCalendar:
    return rt.reference.calendar(conn)


def _commit_event(
    rt: NodeRuntime,
    conn: apsw.Connection,
    state: DossierState | None,
    body: DossierEvent,
    actor: Actor,
) -> tuple[DossierState, EventRecord]:
    if isinstance(body, FollowingEvent):
        # Name the version this was decided on, so every site folds it after what its
        # author saw, even when this machine's clock is behind the city's.
        version = last_event_id(event_log.for_stream(conn, body.dossier_id))
        body = msgspec.structs.replace(body, after=version)
    record = event_log.append(conn, rt.node_id, body.dossier_id, body, actor.user_id)
    new_state = apply(
        state, body, origin=record.origin, event_id=record.id, recorded_at=record.recorded_at
    )
    dossier_store.save(conn, new_state)
    return new_state, record


def issue_code(rt: NodeRuntime, conn: apsw.Connection, moment: datetime) -> str:
    """The next dossier code for the office-local day of ``moment`` (daily serial per node)."""
    day = moment.astimezone(OFFICE_TZ).date()
    serial = scalar(
        conn,
        "INSERT INTO dossier_code_serials (day, last_serial) VALUES (?, 1) "
        "ON CONFLICT (day) DO UPDATE SET last_serial = last_serial + 1 RETURNING last_serial",
        (day.isoformat(),),
    )
    code = rt.config.node.dossier_code_pattern.format(
        agency=rt.config.node.agency_code,
        yymmdd=day.strftime("%y%m%d"),
        yyyymmdd=day.strftime("%Y%m%d"),
        serial=int(serial),
    )
    if len(code) > MAX_CODE_LENGTH:
        raise DossierError(
            f"the code pattern gives {code!r}, longer than {MAX_CODE_LENGTH} characters"
        )
    return code


def receive(rt: NodeRuntime, req: ReceiveRequest, actor: Actor) -> DossierState:
    return rt.db.submit(plan_receive(rt, req, actor))


def plan_receive(
    rt: NodeRuntime, req: ReceiveRequest, actor: Actor
) -> Callable[[apsw.Connection], DossierState]:
    """Everything a reception checks and reads, done now (a refusal raises here, nothing
    written); what it returns writes the dossier in the group commit (``Database.submit``
    or ``submit_async``), issuing its code there."""
    require(actor, Operation.CREATE_DOSSIER)
    require_sound_clock(rt)  # the reception time and the appointment come from this clock
    now = utc_now()
    if req.channel not in CHANNELS:
        raise DossierError(f"channel must be one of {', '.join(CHANNELS)}", "channel")
    if req.received_at is not None:
        aware_time(req.received_at, "received_at", "2027-02-05T09:30:00+07:00")
        if req.received_at > now:
            raise DossierError("received_at is in the future", "received_at")
    moment = req.received_at or now
    applicant = req.applicant.to_person("applicant")
    proxy = None if req.proxy is None else req.proxy.to_person("proxy")
    # Everything that only reads is done before the write lock, so writers queue less.
    reader = rt.db.read()
    procedure = current_procedure(rt, reader, req.procedure_code)
    online = req.channel == "online"
    appointment = appointment_for(rt, reader, procedure, moment, online)
    due = appointment.due_at
    provisional = appointment.provisional_years

    def write(conn: apsw.Connection) -> DossierState:
        body = DossierReceived(
            dossier_id=str(uuid6.uuid7()),
            code=issue_code(rt, conn, moment),
            procedure_code=procedure.code,
            procedure_version=procedure.version,
            procedure_name=procedure.name,
            time_limit=procedure.time_limit,
            time_unit=procedure.time_unit,
            applicant=applicant,
            proxy=proxy,
            channel=req.channel,
            components=list(req.components),
            status=int(Status.SUBMITTED if online else Status.RECEIVED),
            submitted_at=to_utc_iso(moment),
            received_at=None if online else to_utc_iso(moment),
            due_at=None if due is None else to_utc_iso(due),
            provisional_years=provisional,
            same_day_cutoff=procedure.same_day_cutoff,
            lookup_pin=new_lookup_pin(),
        )
        return _commit_event(rt, conn, None, body, actor)[0]

    return write


def new_lookup_pin() -> str:
    """A fresh PIN for the citizen's lookup, from the OS's cryptographic generator."""
    return f"{secrets.randbelow(10**PIN_LENGTH):0{PIN_LENGTH}d}"


def ensure_lookup_pin(rt: NodeRuntime, dossier_id: str, actor: Actor) -> DossierState:
    """The dossier, with a lookup PIN: one received before PINs existed gets one now,
    recorded as an event (so it replicates to the city's lookup). Idempotent: a dossier
    that has a PIN is returned as it is, without a write."""
    state = _load(rt.db.read(), dossier_id)
    if state.lookup_pin:
        return state

    def write(conn: apsw.Connection) -> DossierState:
        current = _load(conn, dossier_id)
        if current.lookup_pin:  # issued meanwhile by another request
            return current
        body = LookupPinIssued(dossier_id, new_lookup_pin())
        return _commit_event(rt, conn, current, body, actor)[0]

    return rt.db.submit(write)


def _load(conn: apsw.Connection, dossier_id: str) -> DossierState:
    state = dossier_store.load(conn, dossier_id)
    if state is None:
        raise NotFound(f"no dossier with id {dossier_id!r}")
    return state


def transition(
    rt: NodeRuntime,
    dossier_id: str,
    req: TransitionRequest,
    actor: Actor,
    *,
    at: datetime | None = None,
) -> DossierState:
    """``req`` taken on the dossier now, or at ``at``: a step taken earlier and entered after
    the fact (the demo's seed; as ``ReceiveRequest.received_at`` is for a paper dossier),
    never in the future nor before the dossier was submitted. Its clocks count from ``at``,
    which the event carries as its effective time; the log still records it now (its
    ``recorded_at`` orders and replicates the log, and is never set back)."""
    require(actor, req.action)
    check_note(req)
    require_sound_clock(rt)  # the step's time, and any new appointment, come from this clock
    now = utc_now()
    if at is not None:
        aware_time(at, "at", "2027-02-05T09:30:00+07:00")
        if at > now:
            raise DossierError("at is in the future", "at")
    moment = at or now

    def write(conn: apsw.Connection) -> DossierState:
        state = _load(conn, dossier_id)
        if moment < from_utc_iso(state.submitted_at):
            raise DossierError("at is before the dossier was submitted", "at")
        body = decide_transition(
            state, req, lambda: _calendar(rt, conn), moment, to_utc_iso(moment)
        )
        return _commit_event(rt, conn, state, body, actor)[0]

    return rt.db.submit(write)


def attach_document(
    rt: NodeRuntime,
    dossier_id: str,
    blob: BlobInfo,
    *,
    mime: str,
    role: str,
    copy_kind: str,
    filename: str,
    actor: Actor,
) -> tuple[DossierState, EventRecord]:
    """Record bytes already durable in the blob store as a document of the dossier."""
    return rt.db.submit(
        lambda conn: attach_document_in(
            conn,
            rt,
            dossier_id,
            blob,
            mime=mime,
            role=role,
            copy_kind=copy_kind,
            filename=filename,
            actor=actor,
        )
    )


def attach_document_in(
    conn: apsw.Connection,
    rt: NodeRuntime,
    dossier_id: str,
    blob: BlobInfo,
    *,
    mime: str,
    role: str,
    copy_kind: str,
    filename: str,
    actor: Actor,
) -> tuple[DossierState, EventRecord]:
    """:func:`attach_document` inside the caller's write transaction (``rt.db.write()`` or
    ``rt.db.submit``),
    so the caller can commit its own rows (e.g. a scan receipt) with the event."""
    require(actor, Operation.ATTACH_DOCUMENT)
    if role not in ROLES:
        raise DossierError(f"role must be one of {', '.join(ROLES)}", "role")
    if copy_kind not in COPY_KINDS:
        raise DossierError(f"copy_kind must be one of {', '.join(COPY_KINDS)}", "copy_kind")
    if not rt.blobs.has(blob.sha256):
        raise DossierError(f"blob {blob.sha256} is not in the store", "file")
    state = _load(conn, dossier_id)
    conn.execute(
        "INSERT INTO blobs (sha256, size, mime, stored_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (sha256) DO NOTHING",
        (blob.sha256, blob.size, mime, to_utc_iso(utc_now())),
    )
    body = DocumentAttached(dossier_id, blob.sha256, blob.size, mime, role, copy_kind, filename)
    state, record = _commit_event(rt, conn, state, body, actor)
    conn.execute(
        "INSERT INTO documents "
        "(event_id, dossier_id, sha256, role, copy_kind, filename, attached_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (record.id, dossier_id, blob.sha256, role, copy_kind, filename, record.recorded_at),
    )
    return state, record


def get(rt: NodeRuntime, dossier_id: str, actor: Actor) -> tuple[DossierState, list[EventRecord]]:
    require(actor, Operation.READ_DOSSIERS)
    conn = rt.db.read()
    state = _load(conn, dossier_id)
    return state, event_log.for_stream(conn, dossier_id)


#: Who a rating is recorded as made by: the citizen, whom no account names (the code and
#: the PIN printed on form 01 are what let them rate).
CITIZEN = Actor(user_id="citizen", display_name="Công dân")


def find_by_pin(conn: apsw.Connection, code: str, pin: str) -> DossierState:
    """The dossier with this code and PIN; LookupRefused alike for an unknown code and a
    wrong PIN (rules.public_progress.matching_dossier: the same work either way)."""
    found = dossier_store.load_by_code(conn, code)
    state = matching_dossier([] if found is None else [found], pin)
    if state is None:
        raise LookupRefused()
    return state


def rate(rt: NodeRuntime, code: str, pin: str, level: str, comment: str) -> DossierState:
    """The citizen's rating of a returned dossier, once (rules/ratings.py). Refused, with
    nothing written: a wrong code or PIN (LookupRefused), a dossier whose result is not yet
    returned or that is rated already (RatingRefused), a bad level or comment."""
    chosen = check_level(level)
    kept = clean_comment(comment)

    def write(conn: apsw.Connection) -> DossierState:
        state = find_by_pin(conn, code, pin)
        if state.status != Status.RESULT_RETURNED:
            raise RatingRefused.not_returned()
        if state.rating is not None:
            raise RatingRefused.already_rated()
        officer = returned_by(event_log.for_stream(conn, state.id))
        body = DossierRated(state.id, str(chosen), kept, officer)
        return _commit_event(rt, conn, state, body, CITIZEN)[0]

    return rt.db.submit(write)
