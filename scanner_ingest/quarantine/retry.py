"""The quarantine as staff see it: every quarantined file of every drop folder, and retry.

The quarantine folders on disk are the truth (a file and its ``.reason.json``); an item's
id is derived from its folder and file name, so it stays the same while the file is there.
Retrying moves the file back into its drop folder (under a free name), then removes its
record: ingest takes it again like any new file, e.g. after the limit was raised or the
password was removed. A crash in between leaves the file in both places, never in neither.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import msgspec

from node.dossier_service import NotFound
from node.runtime import NodeRuntime
from scanner_ingest import folders as folders_mod
from scanner_ingest.folders import DropFolder
from scanner_ingest.moves import fsync_dir, move_unique
from scanner_ingest.quarantine.move import REASON_SUFFIX, QuarantinedFile, list_quarantined

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


def item_id(folder: str, file: str) -> str:
    return hashlib.sha256(f"{folder}\x00{file}".encode()).hexdigest()[:20]


def _items(rt: NodeRuntime) -> list[tuple[DropFolder, QuarantinedFile]]:
    return [
        (folder, q)
        for folder in folders_mod.resolve(rt.config.ingest, rt.data_dir)
        for q in list_quarantined(folder.quarantine)
        if q.path.exists()
    ]


def list_items(rt: NodeRuntime) -> list[QuarantinedOut]:
    return [
        QuarantinedOut(
            id=item_id(folder.name, q.record.file),
            folder=folder.name,
            file=q.record.file,
            reason=q.record.reason,
            message_vi=q.record.message_vi,
            message_en=q.record.message_en,
            detail=q.record.detail,
            original_path=q.record.original_path,
            quarantined_at=q.record.quarantined_at,
            size=q.record.size,
            sha256=q.record.sha256,
        )
        for folder, q in _items(rt)
    ]


def retry(rt: NodeRuntime, quarantine_id: str, actor: str) -> RetryOut:
    """Put the quarantined file back where ingest will take it again."""
    for folder, q in _items(rt):
        if item_id(folder.name, q.record.file) != quarantine_id:
            continue
        original = Path(q.record.original_path)
        back_to = original.parent
        if not (folder.is_candidate_path(original) and back_to.is_dir()):
            back_to = folder.root
        folders_mod.ensure(folder)
        dest = move_unique(q.path, back_to, original.name)
        q.path.with_name(q.path.name + REASON_SUFFIX).unlink(missing_ok=True)
        fsync_dir(q.path.parent)
        log.info(
            "scan_retried folder=%s file=%s reason=%s to=%s actor=%s",
            folder.name,
            q.record.file,
            q.record.reason,
            dest,
            actor,
        )
        return RetryOut(quarantine_id, folder.name, str(dest))
    raise NotFound(f"no quarantined file with id {quarantine_id!r}")
