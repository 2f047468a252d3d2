"""The rows of the city's export file, built from what the store holds; personal data left
out unless asked for.

Personal data is whatever names or reaches a citizen: the applicant's and the proxy's name,
ID number, phone and address, and free text that staff type or a file's name (a scan named
``CCCD_Nguyen_Van_An.pdf``), which can hold any of them. Without ``personal`` those columns
do not exist at all, and an event's body is written without those fields. The lookup PIN is
a credential, not data about the citizen: it is never exported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from central.store import NodeRow
from rules.event_kinds import DOSSIER_EVENT_TYPES, decode_body
from rules.event_record import EventRecord
from rules.indicators import compute
from rules.lifecycle import STATUS_LABELS_VI, Status
from rules.projection import DossierState
from rules.timeliness import is_overdue, timeliness

#: Fields of an event body that can name or reach a citizen (see the module docstring).
PERSONAL_BODY_FIELDS = frozenset({"applicant", "proxy", "note", "filename"})
#: Fields never exported: the citizen's lookup PIN.
SECRET_BODY_FIELDS = frozenset({"lookup_pin", "pin"})
#: Columns of ``dossiers`` that exist only in an export with personal data.
PERSONAL_DOSSIER_COLUMNS = tuple(
    f"{who}_{what}"
    for who in ("applicant", "proxy")
    for what in ("name", "id_number", "phone", "address")
)

Row = dict[str, Any]


def node_row(node: NodeRow, states: list[DossierState], now: datetime) -> Row:
    """A commune node: presence and replication as last known, and its dossiers now."""
    figures = compute(states, None, None, now)
    return {
        "node_id": node.node_id,
        "first_seen": node.first_seen,
        "last_seen": node.last_seen,
        "online": int(node.online),
        "software_version": node.software_version,
        "events_held": node.acked_upto,
        "events_pending": node.pending_estimate,
        "diverged_at": node.diverged_at,
        # last_error is left out: it quotes what a refused message held.
        "dossiers": len(states),
        "in_progress": figures.in_progress,
        "overdue_in_progress": figures.overdue_in_progress,
    }


def dossier_row(node_id: str, state: DossierState, now: datetime, personal: bool) -> Row:
    """One dossier as the city holds it; overdue is judged at ``now`` (the export's time)."""
    verdict = timeliness(state)
    row: Row = {
        "id": state.id,
        "node_id": node_id,
        "code": state.code,
        "procedure_code": state.procedure_code,
        "procedure_version": state.procedure_version,
        "procedure_name": state.procedure_name,
        "channel": state.channel,
        "status": state.status,
        "status_name": STATUS_LABELS_VI.get(Status(state.status), ""),
        "submitted_at": state.submitted_at,
        "received_at": state.received_at,
        "due_at": state.due_at,
        "statutory_due_at": state.statutory_due_at,
        "finished_at": state.finished_at,
        "resolved_at": state.resolved_at,
        "returned_at": state.returned_at,
        "supplement_count": state.supplement_count,
        "reschedule_count": state.reschedule_count,
        "provisional": int(bool(state.provisional_years)),
        "timeliness": None if verdict is None else str(verdict),
        "overdue": int(is_overdue(state, now)),
        "documents": len(state.documents),
        "conflicts": len(state.conflicts),
    }
    if personal:
        for who, person in (("applicant", state.applicant), ("proxy", state.proxy)):
            row[f"{who}_name"] = person.full_name if person else None
            row[f"{who}_id_number"] = person.id_number if person else None
            row[f"{who}_phone"] = person.phone if person else None
            row[f"{who}_address"] = person.address if person else None
    return row


def public_body(raw: bytes, personal: bool) -> dict[str, Any]:
    """An event body as JSON-ready data, without the fields the export leaves out."""
    data: dict[str, Any] = msgspec.to_builtins(decode_body(raw))
    dropped = SECRET_BODY_FIELDS if personal else SECRET_BODY_FIELDS | PERSONAL_BODY_FIELDS
    return {k: v for k, v in data.items() if k not in dropped}


def event_row(node_id: str, record: EventRecord, personal: bool) -> Row:
    """One event of a dossier; the action and statuses of a transition as their own columns."""
    body = public_body(record.body, personal)
    row: Row = {
        "id": record.id,
        "node_id": node_id,
        "dossier_id": record.stream,
        "origin": record.origin,
        "seq": record.seq,
        "kind": record.kind,
        "recorded_at": record.recorded_at,
        "actor": record.actor,  # a staff login or central:<user>, never a citizen
        "action": body.get("action"),
        "from_status": body.get("from_status"),
        "to_status": body.get("to_status"),
        "body": json.dumps(body, ensure_ascii=False, sort_keys=True),
    }
    if personal:
        row["note"] = body.get("note")
    return row


def is_dossier_event(record: EventRecord) -> bool:
    return isinstance(decode_body(record.body), DOSSIER_EVENT_TYPES)


def document_rows(node_id: str, state: DossierState, personal: bool) -> Iterable[Row]:
    """The dossier's files: metadata only (the bytes stay in the city's file store)."""
    for doc in state.documents:
        row: Row = {
            "event_id": doc.event_id,
            "dossier_id": state.id,
            "node_id": node_id,
            "sha256": doc.sha256,
            "size": doc.size,
            "mime": doc.mime,
            "role": doc.role,
            "copy_kind": doc.copy_kind,
            "attached_at": doc.attached_at,
        }
        if personal:
            row["filename"] = doc.filename
        yield row
