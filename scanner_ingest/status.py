"""Whether ingest runs, and how it is doing, for the API and the CLI of any process.

The running service holds an exclusive ``flock`` on ``DIR/ingest/lock`` (released by the
kernel however the process ends) and writes ``DIR/ingest/status.json`` (atomically, at
most once a second, without fsync: it is a display, not a record). ``read`` combines both
with what the database says (unfiled parts, quarantined files still in place), so ``motcua
serve`` can report on an ingest that runs in ``motcua ingest``, and the other way round.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from node.runtime import NodeRuntime
from rules.clock import from_utc_iso, to_utc_iso, utc_now
from scanner_ingest import folders as folders_mod
from scanner_ingest.folders import DropFolder
from scanner_ingest.quarantine import records
from storage.db import scalar
from storage.faults import is_disk_full

INGEST_DIR = "ingest"
LOCK_NAME = "lock"
STATUS_NAME = "status.json"
WRITE_INTERVAL = 1.0


class FolderStatus(msgspec.Struct):
    name: str
    path: str
    poll: bool
    watching: bool = False
    last_scan_at: str | None = None  # UTC ISO of the last full scan
    files_seen: int = 0  # regular files found by the last full scan
    files_waiting: int = 0  # being watched until finished (or retried)
    last_error: str | None = None
    quarantined: int = 0  # filled in by ``read``
    reading: str | None = None  # the file being read now (relative name, NFC)
    reading_since: str | None = None  # UTC ISO: when reading it began
    reading_seconds: float | None = None  # filled in by ``read``: how long it has been read


class ServiceStatus(msgspec.Struct):
    running: bool
    pid: int
    started_at: str
    updated_at: str
    folders: list[FolderStatus]


class IngestStatus(msgspec.Struct, frozen=True):
    running: bool  # a process holds the ingest lock
    pid: int | None
    folders: list[FolderStatus]
    last_scan_at: str | None  # the oldest of the folders' last scans
    files_waiting: int
    unfiled: int  # parts waiting in the unfiled inbox
    quarantined: int  # files in the quarantine folders


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ServiceStatus)


def _dir(data_dir: Path) -> Path:
    path = data_dir / INGEST_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def acquire_lock(data_dir: Path) -> int | None:
    """The open, locked lock file; None if another process holds it."""
    fd = os.open(_dir(data_dir) / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as exc:
        # The pid is only shown to the operator; the lock is what counts. On a full disk,
        # ingest still starts (and waits for space) instead of failing the whole server.
        if not is_disk_full(exc):
            os.close(fd)
            raise
    return fd


def lock_holder(data_dir: Path) -> int | None:
    """The pid of the process running ingest, or None if none does."""
    path = data_dir / INGEST_DIR / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(text) if text.isdigit() else 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class StatusWriter:
    """Kept by the service: per-folder facts, written to ``status.json``."""

    def __init__(self, data_dir: Path, folders: list[DropFolder]) -> None:
        self._path = _dir(data_dir) / STATUS_NAME
        self._started = _now()
        self._folders = {
            f.name: FolderStatus(name=f.name, path=str(f.root), poll=f.poll) for f in folders
        }
        self._written_at = 0.0
        self._last: bytes = b""

    def scanned(self, name: str, at: str, files: int) -> None:
        entry = self._folders[name]
        entry.last_scan_at, entry.files_seen, entry.last_error = at, files, None

    def folder_error(self, name: str, error: str) -> None:
        self._folders[name].last_error = error

    @contextlib.contextmanager
    def reading(self, folder: str, file: str) -> Iterator[None]:
        """Show ``file`` of ``folder`` as being read until the block ends."""
        self.begin_reading(folder, file)
        try:
            yield
        finally:
            self.end_reading(folder, file)

    def begin_reading(self, folder: str, file: str) -> None:
        """Show ``file`` of ``folder`` as being read from now. Written at once: the loop that
        writes the status may be the one busy reading. With several files of one folder in
        hand, the one begun last is shown."""
        entry = self._folders[folder]
        entry.reading, entry.reading_since = file, _now()
        self.write(
            ServiceStatus(True, os.getpid(), self._started, _now(), [*self._folders.values()]),
            force=True,
        )

    def end_reading(self, folder: str, file: str) -> None:
        entry = self._folders[folder]
        if entry.reading == file:
            entry.reading = entry.reading_since = None

    def snapshot(
        self,
        *,
        running: bool,
        waiting: dict[str, int],
        watching: dict[str, bool],
        watcher_errors: dict[str, str | None],
    ) -> ServiceStatus:
        for name, entry in self._folders.items():
            entry.files_waiting = waiting.get(name, 0)
            entry.watching = watching.get(name, False)
            entry.last_error = entry.last_error or watcher_errors.get(name)
        return ServiceStatus(
            running, os.getpid(), self._started, _now(), list(self._folders.values())
        )

    def write(self, snapshot: ServiceStatus, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written_at < WRITE_INTERVAL:
            return
        data = _encoder.encode(msgspec.structs.replace(snapshot, updated_at=""))
        if data == self._last and not force:
            return
        self._written_at, self._last = now, data
        tmp = self._path.with_name(f".{STATUS_NAME}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(_encoder.encode(snapshot))
            os.replace(tmp, self._path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


def read(rt: NodeRuntime) -> IngestStatus:
    """What ``GET /api/v1/ingest/status`` and ``motcua ingest status`` show."""
    pid = lock_holder(rt.data_dir)
    service: ServiceStatus | None = None
    if pid is not None:
        try:
            service = _decoder.decode((rt.data_dir / INGEST_DIR / STATUS_NAME).read_bytes())
        except (OSError, msgspec.DecodeError):
            service = None
    live = {} if service is None else {f.name: f for f in service.folders}
    folder_list: list[FolderStatus] = []
    conn = rt.db.read()
    for folder in folders_mod.resolve(rt.config.ingest, rt.data_dir):
        entry = live.get(folder.name) or FolderStatus(
            name=folder.name, path=str(folder.root), poll=folder.poll
        )
        entry.quarantined = sum(map(records.in_place, records.waiting(conn, folder.name)))
        if entry.reading_since is not None:
            age = (utc_now() - from_utc_iso(entry.reading_since)).total_seconds()
            entry.reading_seconds = round(max(0.0, age), 1)
        folder_list.append(entry)
    scans = [f.last_scan_at for f in folder_list]
    unfiled = scalar(conn, "SELECT COUNT(*) FROM scan_parts WHERE state = 'unfiled'")
    return IngestStatus(
        running=pid is not None,
        pid=pid or None,
        folders=folder_list,
        last_scan_at=None if None in scans or not scans else min(s for s in scans if s),
        files_waiting=sum(f.files_waiting for f in folder_list),
        unfiled=int(unfiled),
        quarantined=sum(f.quarantined for f in folder_list),
    )


def _now() -> str:
    return to_utc_iso(utc_now())
