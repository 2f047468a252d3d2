"""The unfiled inbox: scan parts no dossier claimed, waiting for a person.

Assigning attaches the stored bytes to a dossier and marks the part in one transaction;
rejecting marks it rejected with the reason given. Nothing is deleted: the bytes stay in
the store and the part stays in ``scan_parts`` with who decided and when.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import apsw
import msgspec

from node import dossier_store
from node.dossier_service import DossierError, NotFound, attach_document_in
from node.runtime import NodeRuntime
from rules.actor import Actor
from rules.clock import to_local_iso, to_utc_iso, utc_now
from rules.permissions import Operation, require
from scanner_ingest import receipts
from storage.blob_store import BlobInfo


class AlreadyDecided(DossierError):
    """The part was assigned or rejected already (HTTP 409)."""


class AssignRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Name the dossier by its id or by its code (mã hồ sơ), not both."""

    dossier_id: str | None = None
    dossier_code: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class RejectRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # "Not blank" is said here for the API document; ``reject`` checks it for every caller
    # (a constructed Struct is not validated).
    note: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=2000,
            pattern=r"\S",
            description="Why the scan is not a document of any dossier: required, not blank.",
        ),
    ]


class UnfiledOut(msgspec.Struct, frozen=True):
    id: str
    receipt_id: str
    folder: str
    source_name: str  # the scan's name in the drop folder, NFC
    filename: str  # the document's name once attached
    first_page: int  # 1-based, of the source
    last_page: int
    size: int
    mime: str
    sha256: str
    url: str  # the bytes, for a preview
    matched_by: str
    code: str | None  # a code found that names no dossier here
    candidates: list[str]
    reason: str  # no_code | unknown_dossier | ambiguous_slips | before_first_slip
    received_at: str | None
    state: str
    dossier_id: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    note: str = ""


class UnfiledPage(msgspec.Struct, frozen=True):
    items: list[UnfiledOut]
    total: int
    limit: int
    offset: int


def _out(part: receipts.Part, receipt: receipts.Receipt | None) -> UnfiledOut:
    return UnfiledOut(
        id=part.id,
        receipt_id=part.receipt_id,
        folder="" if receipt is None else receipt.folder,
        source_name="" if receipt is None else receipt.name,
        filename=part.filename,
        first_page=part.first_page + 1,
        last_page=part.stop_page,
        size=part.size,
        mime=part.mime,
        sha256=part.sha256,
        url=f"/api/v1/documents/{part.sha256}",
        matched_by=part.matched_by,
        code=part.code,
        candidates=part.candidates,
        reason=part.unfiled_reason,
        received_at=None if receipt is None else to_local_iso(receipt.received_at),
        state=part.state,
        dossier_id=part.dossier_id,
        decided_by=part.decided_by,
        decided_at=to_local_iso(part.decided_at),
        note=part.note,
    )


def list_unfiled(rt: NodeRuntime, limit: int = 50, offset: int = 0) -> UnfiledPage:
    conn = rt.db.read()
    parts, total = receipts.unfiled(conn, limit, offset)
    items = [_out(p, receipts.get(conn, p.receipt_id)) for p in parts]
    return UnfiledPage(items, total, limit, offset)


def find(rt: NodeRuntime, part_id: str) -> UnfiledOut:
    """One part of the inbox, whatever its state; NotFound if no such part."""
    conn = rt.db.read()
    part = receipts.get_part(conn, part_id)
    if part is None:
        raise NotFound(f"no unfiled scan with id {part_id!r}")
    return _out(part, receipts.get(conn, part.receipt_id))


def stored_file(rt: NodeRuntime, part_id: str) -> tuple[Path, str]:
    """Where the part's stored bytes are and their media type, for a preview."""
    part = find(rt, part_id)
    if not rt.blobs.has(part.sha256):
        raise NotFound(f"the bytes of scan part {part_id!r} are not in the store")
    return rt.blobs.path_for(part.sha256), part.mime


def _waiting(conn: apsw.Connection, part_id: str) -> receipts.Part:
    part = receipts.get_part(conn, part_id)
    if part is None:
        raise NotFound(f"no unfiled scan with id {part_id!r}")
    if part.state != "unfiled":
        raise AlreadyDecided(f"scan part {part_id} is already {part.state}", "id")
    return part


def assign(rt: NodeRuntime, part_id: str, req: AssignRequest, actor: Actor) -> UnfiledOut:
    """Attach the part to the dossier (one ``document_attached`` event by ``actor``)."""
    require(actor, Operation.ASSIGN_SCAN)
    if (req.dossier_id is None) == (req.dossier_code is None):
        raise DossierError("give exactly one of dossier_id and dossier_code", "dossier_id")
    with rt.db.write() as conn:
        part = _waiting(conn, part_id)
        if req.dossier_code is not None:
            state = dossier_store.load_by_code(conn, req.dossier_code.strip())
            if state is None:
                raise NotFound(f"no dossier with code {req.dossier_code!r}")
            dossier_id = state.id
        else:
            assert req.dossier_id is not None
            dossier_id = req.dossier_id
        _, record = attach_document_in(
            conn,
            rt,
            dossier_id,
            BlobInfo(part.sha256, part.size),
            mime=part.mime,
            role=part.role,
            copy_kind=part.copy_kind,
            filename=part.filename,
            actor=actor,
        )
        receipts.decide(
            conn,
            part_id,
            "assigned",
            to_utc_iso(utc_now()),
            actor.user_id,
            dossier_id=dossier_id,
            event_id=record.id,
        )
        done = receipts.get_part(conn, part_id)
        receipt = receipts.get(conn, part.receipt_id)
    assert done is not None
    return _out(done, receipt)


def reject(rt: NodeRuntime, part_id: str, req: RejectRequest, actor: Actor) -> UnfiledOut:
    """Mark the part rejected (not a document of any dossier); its bytes are kept."""
    require(actor, Operation.REJECT_SCAN)
    if not req.note.strip():
        raise DossierError("a rejection needs a note saying why", "note")
    with rt.db.write() as conn:
        part = _waiting(conn, part_id)
        receipts.decide(
            conn, part_id, "rejected", to_utc_iso(utc_now()), actor.user_id, note=req.note.strip()
        )
        done = receipts.get_part(conn, part_id)
        receipt = receipts.get(conn, part.receipt_id)
    assert done is not None
    return _out(done, receipt)
