"""One finished scan becomes documents, in the crash-safe order.

Each step says what it needs and what it guarantees; cleanup always runs.

1. ``inspection.inspect``: needs a file judged stable. Parses it as its magic bytes say and
   reads its slips; ``Refused`` with a reason code otherwise. Nothing is written, so any
   other error while inspecting is the file's: ``Refused`` too (``too_large`` for memory,
   else ``unparseable``), and the file ends taken or quarantined at give-up, never retried
   for ever as a failure of the node.
2. ``_stage``: copies the bytes into a temporary in the blob store while hashing.
   Guarantees: they are the bytes that were inspected (size and mtime are those of the
   observation that judged the file finished, checked before and after reading;
   ``SourceChanged`` otherwise, and the file is observed again). Nothing is durable yet.
3. store: the staged copy becomes durable under its SHA-256 (fsync, rename, folder fsync);
   bytes already there are not written again. A split PDF stores each part as a blob too;
   the original bytes are always kept (a signed PDF stays byte-identical).
4. ``_commit``: one transaction: blob rows, the receipt, its parts and their
   ``document_attached`` events. If this very file was committed before (same folder, name,
   size, mtime and bytes, not yet disposed of) nothing is written; if the same bytes were
   received before, only a duplicate receipt is.
5. ``_dispose``: the source is moved to processed/ (or deleted), then the receipt is marked
   disposed of. A crash before that leaves the source in place and step 4 recognises it.

``MOTCUA_INGEST_FAULT=after_blob,after_commit,after_move`` makes the process SIGKILL itself
at that step (crash tests only).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import signal
import stat
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import apsw
import msgspec
import uuid6

from node.runtime import NodeRuntime
from rules.clock import OFFICE_TZ, to_utc_iso, utc_now
from scanner_ingest import reasons, receipts
from scanner_ingest.filing import file_parts
from scanner_ingest.folders import DropFolder
from scanner_ingest.inspection import Inspection, Refused, inspect
from scanner_ingest.moves import fsync_dir, move_unique
from scanner_ingest.names import nfc
from scanner_ingest.pdf_worker import PdfWorker, PdfWorkerError
from scanner_ingest.qr_matching import Segment
from storage.blob_store import TMP_DIR, BlobInfo, BlobTooLarge, IncomingBlob
from storage.faults import is_disk_full

log = logging.getLogger(__name__)
_NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device", as a worker reports it

FAULT_ENV = "MOTCUA_INGEST_FAULT"
FAULT_STEPS = ("after_blob", "after_commit", "after_move")
_CHUNK = 1 << 20


class SourceChanged(Exception):
    """The file changed or was replaced while it was read: observe it again."""


class WorkerUnavailable(Exception):
    """No worker process can be had (ingest is stopping): a failure of the node, not of the
    file."""


class Drop(msgspec.Struct, frozen=True):
    """A file judged finished: where it is and what it looked like then."""

    folder: DropFolder
    path: Path
    size: int
    mtime_ns: int
    stable_at: datetime
    judged_at: float = 0.0  # time.monotonic() when it was judged finished

    @property
    def name(self) -> str:
        return self.folder.relative_name(self.path)


class StoredPart(msgspec.Struct, frozen=True):
    segment: Segment
    blob: BlobInfo
    filename: str


class Taken(msgspec.Struct, frozen=True):
    receipt_id: str
    outcome: str
    recovered: bool  # committed before a crash; only the move was finished now
    disposed_to: str | None
    commit_ms: float  # from judged finished to committed (QR decoding included)
    inspect_ms: float  # of which parsing and reading slips


def _open_regular(path: Path) -> BinaryIO:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return os.fdopen(fd, "rb")


class Pipeline:
    """The steps of the module docstring for one node. Thread-safe for different files."""

    def __init__(
        self,
        rt: NodeRuntime,
        pdf: Callable[[], PdfWorker],
        *,
        pattern: re.Pattern[str],
        faults: frozenset[str] = frozenset(),
    ) -> None:
        self.rt = rt
        self.settings = rt.config.ingest
        self._pdf = pdf
        self._pattern = pattern
        self._faults = faults

    def take(self, drop: Drop) -> Taken:
        """Steps 1 to 5 for ``drop``. Raises ``Refused``, ``SourceChanged``,
        ``FileNotFoundError`` (the file went away) or an error of the node itself."""
        limit = self.settings.max_file_bytes
        if drop.size > limit:
            raise Refused(reasons.TOO_LARGE, f"{drop.size} bytes > limit {limit}")
        started = time.monotonic()
        found = self._inspect(drop)
        inspect_ms = (time.monotonic() - started) * 1000
        staged = self._stage(drop)
        try:
            blob = staged.commit()
        finally:
            staged.abort()  # no-op after commit
        self._fault("after_blob")
        receipt = self._recognise(drop, blob)
        if receipt is None:
            parts = self._store_parts(drop, blob, found)
            receipt, recovered = self._commit(drop, blob, found, parts)
        else:
            recovered = True
        commit_ms = (time.monotonic() - drop.judged_at) * 1000
        self._fault("after_commit")
        disposed_to = self._dispose(drop, receipt.id)
        return Taken(receipt.id, receipt.outcome, recovered, disposed_to, commit_ms, inspect_ms)

    def _inspect(self, drop: Drop) -> Inspection:
        try:
            return inspect(
                drop.path,
                drop.name,
                pdf=self._pdf,
                max_bytes=self.settings.max_file_bytes,
                pattern=self._pattern,
            )
        except (Refused, FileNotFoundError, WorkerUnavailable):
            raise
        except MemoryError as exc:
            raise Refused(reasons.TOO_LARGE, f"MemoryError while inspecting: {exc}") from exc
        except Exception as exc:
            if is_disk_full(exc):
                raise  # the node's disk, not the file: retried once there is space
            log.exception("scan_inspection_error path=%r", str(drop.path))
            raise Refused(reasons.UNPARSEABLE, f"{type(exc).__name__}: {exc}") from exc

    # --- 2. stage -------------------------------------------------------------------------

    def _stage(self, drop: Drop) -> IncomingBlob:
        staged = self.rt.blobs.incoming(self.settings.max_file_bytes)
        try:
            with _open_regular(drop.path) as f:
                before = os.fstat(f.fileno())
                while chunk := f.read(_CHUNK):
                    staged.write(chunk)
                after = os.fstat(f.fileno())
            expected = (drop.size, drop.mtime_ns)
            seen = {(before.st_size, before.st_mtime_ns), (after.st_size, after.st_mtime_ns)}
            if seen != {expected} or staged.size != drop.size:
                raise SourceChanged(f"{drop.path} changed while it was read")
        except BlobTooLarge as exc:
            raise Refused(reasons.TOO_LARGE, str(exc)) from exc
        except (FileNotFoundError, SourceChanged):
            staged.abort()
            raise
        except PermissionError as exc:
            staged.abort()
            raise Refused(reasons.UNREADABLE, f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            staged.abort()
            raise
        return staged

    # --- 3. store the parts of a split ------------------------------------------------------

    def _store_parts(self, drop: Drop, blob: BlobInfo, found: Inspection) -> list[StoredPart]:
        base = drop.path.name
        if len(found.segments) == 1:
            return [StoredPart(found.segments[0], blob, nfc(base))]
        source = self.rt.blobs.path_for(blob.sha256)
        stem = base[: base.rfind(".")] if base.rfind(".") > 0 else base
        parts = []
        for segment in found.segments:
            out = self.rt.blobs.root / TMP_DIR / f"{uuid.uuid4().hex}.tmp"
            try:
                self._pdf().extract_pages_to(source, list(segment.pages), out)
                info = self.rt.blobs.put_file(out)
            except PdfWorkerError as exc:
                if _NO_SPACE in str(exc) or self.rt.faults.disk_full_now():
                    # The worker could not write the part: the node's disk, not the file.
                    raise OSError(errno.ENOSPC, f"splitting: {exc}") from exc
                raise Refused(reasons.UNPARSEABLE, f"splitting: {exc}") from exc
            finally:
                out.unlink(missing_ok=True)
            name = f"{stem}_p{segment.start + 1}-{segment.stop}.pdf"
            parts.append(StoredPart(segment, info, nfc(name)))
        return parts

    # --- 4. commit ---------------------------------------------------------------------------

    def _recognise(self, drop: Drop, blob: BlobInfo) -> receipts.Receipt | None:
        """The receipt of this very file if it was committed before a crash."""
        return receipts.find_committed(
            self.rt.db.read(), drop.folder.name, drop.name, drop.size, drop.mtime_ns, blob.sha256
        )

    def _commit(
        self, drop: Drop, blob: BlobInfo, found: Inspection, parts: list[StoredPart]
    ) -> tuple[receipts.Receipt, bool]:
        folder, now = drop.folder, to_utc_iso(utc_now())
        with self.rt.db.write() as conn:
            again = receipts.find_committed(
                conn, folder.name, drop.name, drop.size, drop.mtime_ns, blob.sha256
            )
            if again is not None:
                return again, True
            _blob_row(conn, blob, found.mime, now)
            for part in parts:
                _blob_row(conn, part.blob, found.mime, now)
            original = receipts.find_original(conn, blob.sha256)
            receipt_id = str(uuid6.uuid7())
            receipt = receipts.Receipt(
                id=receipt_id,
                folder=folder.name,
                name=drop.name,
                size=drop.size,
                mtime_ns=drop.mtime_ns,
                sha256=blob.sha256,
                kind=str(found.kind),
                pages=found.pages,
                outcome="duplicate",
                duplicate_of=None if original is None else original.id,
                reason=None,
                detail="",
                stable_at=to_utc_iso(drop.stable_at),
                received_at=now,
                disposed_at=None,
                disposed_to=None,
            )
            if original is not None:
                receipts.insert_receipt(conn, receipt)
                return receipt, False
            rows = file_parts(
                self.rt,
                conn,
                receipt_id,
                folder,
                [(p.segment, p.blob, p.filename) for p in parts],
                found.mime,
            )
            receipt = msgspec.structs.replace(
                receipt, outcome=receipts.outcome_of([r.state for r in rows])
            )
            receipts.insert_receipt(conn, receipt)
            for row in rows:
                receipts.insert_part(conn, row)
        return receipt, False

    # --- 5. dispose ---------------------------------------------------------------------------

    def _dispose(self, drop: Drop, receipt_id: str) -> str | None:
        """Move the source to processed/<office date>/ (or delete it); mark the receipt."""
        try:
            st = drop.path.lstat()
            same = (st.st_size, st.st_mtime_ns) == (drop.size, drop.mtime_ns)
        except FileNotFoundError:
            same = False
        disposed_to: str | None = None
        if same and self.settings.delete_after_ingest:
            drop.path.unlink()
            fsync_dir(drop.path.parent)
            disposed_to = ""
        elif same:
            day = utc_now().astimezone(OFFICE_TZ).date().isoformat()
            dest = move_unique(drop.path, drop.folder.processed / day, drop.path.name)
            disposed_to = nfc(str(dest))
        self._fault("after_move")
        with self.rt.db.write() as conn:
            receipts.mark_disposed(conn, receipt_id, to_utc_iso(utc_now()), disposed_to)
        return disposed_to

    def _fault(self, step: str) -> None:
        if step in self._faults:
            log.warning("ingest_fault_injected step=%s pid=%d", step, os.getpid())
            for handler in logging.getLogger().handlers:
                handler.flush()
            os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(10)  # the signal is delivered before this returns


def _blob_row(conn: apsw.Connection, blob: BlobInfo, mime: str, now: str) -> None:
    conn.execute(
        "INSERT INTO blobs (sha256, size, mime, stored_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (sha256) DO NOTHING",
        (blob.sha256, blob.size, mime, now),
    )


def faults_from_env() -> frozenset[str]:
    raw = os.environ.get(FAULT_ENV, "")
    steps = frozenset(s.strip() for s in raw.split(",") if s.strip())
    unknown = steps - set(FAULT_STEPS)
    if unknown:
        raise ValueError(f"{FAULT_ENV}: unknown steps {sorted(unknown)}; known: {FAULT_STEPS}")
    return steps
