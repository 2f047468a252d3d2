"""Giving up on a file: quarantine it, record it, and cope with a source that stays.

``move.quarantine`` copies the file and its reason durably; before it removes the source,
the quarantine is committed here (a ``quarantined`` receipt and its ``quarantined_files``
row: the node's own record, the one the API lists). If removing the source then fails (a
read-only share, a file locked by the scanner) the copy is already in quarantine and
recorded: the source must not be quarantined again, so it is held here and only its
removal is retried. A held file is recognised by its path, size and mtime.
"""

from __future__ import annotations

import enum
import logging
import os
from pathlib import Path

from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from scanner_ingest import receipts
from scanner_ingest.folders import DropFolder
from scanner_ingest.names import nfc
from scanner_ingest.quarantine import records
from scanner_ingest.quarantine.move import QuarantineRecord, SourceChangedWhileCopied, quarantine

log = logging.getLogger(__name__)


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
        self.last_error: str | None = None  # why the last LATER happened, for the status

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
        recorded: list[Path] = []

        def record(written: QuarantineRecord, dest: Path) -> None:
            self._record(folder, path, st, written, dest)
            recorded.append(dest)

        try:
            quarantine(
                path,
                folder.quarantine,
                reason,
                detail,
                expect=(st.st_size, st.st_mtime_ns),
                on_durable=record,
            )
        except FileNotFoundError:
            return Result.DONE if recorded else Result.GONE
        except SourceChangedWhileCopied:
            log.info(
                "scan_quarantine_abandoned folder=%s path=%r why=changed", folder.name, str(path)
            )
            return Result.CHANGED
        except OSError as exc:
            log.error(
                "scan_quarantine_failed folder=%s path=%r error=%s", folder.name, str(path), exc
            )
            if recorded:
                self._held[path] = (st.st_size, st.st_mtime_ns)
                return Result.HELD
            self.last_error = f"quarantine failed: {type(exc).__name__}: {exc}"
            return Result.LATER
        return Result.DONE

    def _record(
        self,
        folder: DropFolder,
        path: Path,
        st: os.stat_result,
        written: QuarantineRecord,
        dest: Path,
    ) -> None:
        """The receipt and the node's record of the quarantined file, in one transaction."""
        now = to_utc_iso(utc_now())
        receipt = receipts.Receipt(
            id=receipts.new_id(),
            folder=folder.name,
            name=folder.relative_name(path),
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            sha256=written.sha256,
            kind=None,
            pages=0,
            outcome="quarantined",
            duplicate_of=None,
            reason=written.reason,
            detail=written.detail,
            stable_at=now,
            received_at=now,
            disposed_at=now,
            disposed_to=nfc(str(dest)),
        )
        with self.rt.db.write() as conn:
            receipts.insert_receipt(conn, receipt)
            records.insert(conn, receipt, str(dest))
