"""The quarantine as staff see it: every quarantined file of every drop folder, and retry.

What is listed is the node's own record (``records``), never the ``.reason.json`` files on
the share, which anyone who can write there could place. A recorded file that is no longer
where the node put it (removed by an administrator) is not listed. Retrying moves the file
back into its drop folder (under a free name), removes its ``.reason.json`` and marks the
record: ingest takes it again like any new file, e.g. after the limit was raised or the
password was removed. A crash in between leaves the file in both places, never in neither.
"""

from __future__ import annotations

import logging
from pathlib import Path

import msgspec

from node.dossier_service import NotFound
from node.runtime import NodeRuntime
from rules.actor import Actor
from rules.clock import to_utc_iso, utc_now
from rules.permissions import Operation, require
from scanner_ingest import folders as folders_mod
from scanner_ingest import reasons
from scanner_ingest.folders import DropFolder
from scanner_ingest.moves import fsync_dir, move_unique
from scanner_ingest.quarantine import records
from scanner_ingest.quarantine.move import record_path

log = logging.getLogger(__name__)


class QuarantinedOut(msgspec.Struct, frozen=True):
    id: str
    folder: str
    file: str  # its name in the quarantine folder
    reason: str  # a code from scanner_ingest.reasons
    message_vi: str
    message_en: str
    detail: str
    original_path: str
    quarantined_at: str
    size: int
    sha256: str


class RetryOut(msgspec.Struct, frozen=True):
    id: str
    folder: str
    returned_to: str  # where the file is now, in the drop folder


def _folders(rt: NodeRuntime) -> dict[str, DropFolder]:
    return {f.name: f for f in folders_mod.resolve(rt.config.ingest, rt.data_dir)}


def _out(q: records.Quarantined, folder: DropFolder | None) -> QuarantinedOut:
    why = reasons.reason(q.reason)
    root = Path("") if folder is None else folder.root
    return QuarantinedOut(
        id=q.id,
        folder=q.folder,
        file=Path(q.path).name,
        reason=why.code,
        message_vi=why.message_vi,
        message_en=why.message_en,
        detail=q.detail,
        original_path=str(root / q.name),
        quarantined_at=q.quarantined_at,
        size=q.size,
        sha256=q.sha256,
    )


def list_items(rt: NodeRuntime) -> list[QuarantinedOut]:
    by_name = _folders(rt)
    return [
        _out(q, by_name.get(q.folder)) for q in records.waiting(rt.db.read()) if records.in_place(q)
    ]


def retry(rt: NodeRuntime, quarantine_id: str, actor: Actor) -> RetryOut:
    """Put the quarantined file back where ingest will take it again."""
    require(actor, Operation.RETRY_QUARANTINE)
    q = records.get_waiting(rt.db.read(), quarantine_id)
    folder = None if q is None else _folders(rt).get(q.folder)
    if q is None or folder is None or not records.in_place(q):
        raise NotFound(f"no quarantined file with id {quarantine_id!r}")
    kept = Path(q.path)
    original = folder.root / q.name
    back_to = original.parent
    if not (folder.is_candidate_path(original) and back_to.is_dir()):
        back_to = folder.root
    folders_mod.ensure(folder)
    dest = move_unique(kept, back_to, original.name, owned_levels=0)  # a drop folder
    record_path(kept).unlink(missing_ok=True)
    fsync_dir(kept.parent)
    with rt.db.write() as conn:
        records.mark_retried(conn, q.id, to_utc_iso(utc_now()), actor.user_id, str(dest))
    log.info(
        "scan_retried folder=%s file=%r reason=%s to=%r actor=%r",
        folder.name,
        kept.name,
        q.reason,
        str(dest),
        actor.user_id,
    )
    return RetryOut(quarantine_id, folder.name, str(dest))
