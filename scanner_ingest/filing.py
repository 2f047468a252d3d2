"""Which dossier each part of a scan goes to, decided inside the receipt's transaction.

A part with a dossier code (from a valid slip, else from the filename) is attached to the
dossier with that code, if the node has one. Anything else waits in the unfiled inbox with
a reason code for staff:

- ``no_code``: no slip and no dossier code in the file name;
- ``unknown_dossier``: the code names no dossier on this node (``code`` says which);
- ``ambiguous_slips``: slips of several dossiers on one page, or in an image that cannot be
  split (``candidates`` lists them);
- ``before_first_slip``: the pages before the first slip of a split scan.

Bytes already attached to that dossier (e.g. uploaded by hand before) are not attached
twice: the part is recorded as ``duplicate``.
"""

from __future__ import annotations

import apsw
import uuid6

from node import dossier_store
from node.dossier_service import attach_document_in
from node.runtime import NodeRuntime
from rules.actor import machine
from rules.permissions import Operation
from scanner_ingest.folders import DropFolder
from scanner_ingest.qr_matching import Segment
from scanner_ingest.receipts import Part, PartState
from storage.blob_store import BlobInfo
from storage.db import scalar

NO_CODE = "no_code"
UNKNOWN_DOSSIER = "unknown_dossier"
AMBIGUOUS_SLIPS = "ambiguous_slips"
BEFORE_FIRST_SLIP = "before_first_slip"


def unfiled_reason(segment: Segment, split: bool) -> str:
    if segment.code is not None:
        return UNKNOWN_DOSSIER
    if segment.candidates:
        return AMBIGUOUS_SLIPS
    return BEFORE_FIRST_SLIP if split else NO_CODE


def file_parts(
    rt: NodeRuntime,
    conn: apsw.Connection,
    receipt_id: str,
    folder: DropFolder,
    parts: list[tuple[Segment, BlobInfo, str]],
    mime: str,
) -> list[Part]:
    """Attach what can be attached (one event each, in ``conn``'s transaction) and return
    the part rows to insert after the receipt."""
    rows: list[Part] = []
    for index, (segment, blob, filename) in enumerate(parts):
        state: PartState = "unfiled"
        dossier_id: str | None = None
        event_id: str | None = None
        reason = ""
        dossier = None if segment.code is None else dossier_store.load_by_code(conn, segment.code)
        if dossier is None:
            reason = unfiled_reason(segment, len(parts) > 1)
        elif _already_attached(conn, dossier.id, blob.sha256):
            state, dossier_id = "duplicate", dossier.id
        else:
            _, record = attach_document_in(
                conn,
                rt,
                dossier.id,
                blob,
                mime=mime,
                role=folder.role,
                copy_kind=folder.copy_kind,
                filename=filename,
                actor=machine(folder.actor, Operation.ATTACH_DOCUMENT),
            )
            state, dossier_id, event_id = "attached", dossier.id, record.id
        rows.append(
            Part(
                id=str(uuid6.uuid7()),
                receipt_id=receipt_id,
                part=index,
                first_page=segment.start,
                stop_page=segment.stop,
                sha256=blob.sha256,
                size=blob.size,
                mime=mime,
                filename=filename,
                role=folder.role,
                copy_kind=folder.copy_kind,
                matched_by=segment.source,
                code=segment.code,
                candidates=list(segment.candidates),
                unfiled_reason=reason,
                state=state,
                dossier_id=dossier_id,
                event_id=event_id,
            )
        )
    return rows


def _already_attached(conn: apsw.Connection, dossier_id: str, sha256: str) -> bool:
    return bool(
        scalar(
            conn,
            "SELECT 1 FROM documents WHERE dossier_id = ? AND sha256 = ? LIMIT 1",
            (dossier_id, sha256),
        )
    )
