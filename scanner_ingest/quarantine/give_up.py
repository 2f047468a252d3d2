"""Giving up on a file: quarantine it, record a receipt, and cope with a source that stays.

``move.quarantine`` copies the file and its reason durably, then removes the source.
If that removal fails (a read-only share, a file locked by the scanner) the copy is already
in quarantine: the source must not be quarantined again, so it is held here and only its
removal is retried. A file is recognised as held by its path, size and mtime, and only
after its bytes were found to match the quarantined copy's SHA-256.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import os
from pathlib import Path

from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from scanner_ingest import receipts
from scanner_ingest.folders import DropFolder
from scanner_ingest.names import nfc
from scanner_ingest.quarantine.move import SourceChangedWhileCopied, list_quarantined, quarantine

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


class Result(enum.Enum):
    DONE = "done"  # quarantined and recorded: forget the path
    GONE = "gone"  # the file went away first: forget the path
    HELD = "held"  # copied, but the source stayed: only its removal is retried
    LATER = "later"  # nothing happened (e.g. quarantine folder not writable): try again
    CHANGED = "changed"  # a writer came back: nothing happened, the next look sees it


class QuarantineStep:
    """Used by the service loop's thread only."""

    def __init__(self, rt: NodeRuntime) -> None:
        self.rt = rt
        self._held: dict[Path, tuple[int, int]] = {}

    def is_held(self, path: Path) -> bool:
        return path in self._held

    def retry_removal(self, path: Path, st: os.stat_result) -> bool:
        """Try again to remove a held source; True once it is gone (or was replaced by a
        new file under the same name, which is then observed afresh)."""
        if self._held[path] == (st.st_size, st.st_mtime_ns):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                return False
        del self._held[path]
        return True

    def give_up(
        self, folder: DropFolder, path: Path, st: os.stat_result, reason: str, detail: str
    ) -> Result:
        try:
            dest = quarantine(
                path, folder.quarantine, reason, detail, expect=(st.st_size, st.st_mtime_ns)
            )
        except FileNotFoundError:
            return Result.GONE
        except SourceChangedWhileCopied:
            log.info("scan_quarantine_abandoned folder=%s path=%s why=changed", folder.name, path)
            return Result.CHANGED
        except OSError as exc:
            log.error("scan_quarantine_failed folder=%s path=%s error=%s", folder.name, path, exc)
            if self._copy_exists(folder, path, st):
                self._held[path] = (st.st_size, st.st_mtime_ns)
                return Result.HELD
            return Result.LATER
        self._record(folder, path, st, reason, detail, dest)
        return Result.DONE

    def _record(
        self,
        folder: DropFolder,
        path: Path,
        st: os.stat_result,
        reason: str,
        detail: str,
        dest: Path,
    ) -> None:
        """A receipt for the history (the file and its .reason.json are the truth)."""
        record = next(
            (q.record for q in list_quarantined(folder.quarantine) if q.path == dest), None
        )
        now = to_utc_iso(utc_now())
        receipt = receipts.Receipt(
            id=receipts.new_id(),
            folder=folder.name,
            name=folder.relative_name(path),
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            sha256="" if record is None else record.sha256,
            kind=None,
            pages=0,
            outcome="quarantined",
            duplicate_of=None,
            reason=reason,
            detail=detail,
            stable_at=now,
            received_at=now,
            disposed_at=now,
            disposed_to=nfc(str(dest)),
        )
        with self.rt.db.write() as conn:
            receipts.insert_receipt(conn, receipt)

    def _copy_exists(self, folder: DropFolder, path: Path, st: os.stat_result) -> bool:
        """True if a quarantined copy of this very file exists (its removal failed)."""
        wanted = nfc(str(path))
        candidates = [
            q
            for q in list_quarantined(folder.quarantine)
            if q.record.original_path == wanted and q.record.size == st.st_size
        ]
        if not candidates:
            return False
        digest = hashlib.sha256()
        try:
            with path.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
        except OSError:
            return False
        return any(q.record.sha256 == digest.hexdigest() for q in candidates)
