"""Files arriving from nodes in chunks, resumable, verified, stored content-addressed.

Progress is structural: the partial file ``DIR/blobs/partial/<sha>.part`` holds exactly
the bytes received in order, and its size is what the city reports as held. A chunk is
written only at that offset and acknowledged after fsync, so a restart (or another
receiver process) picks up where the file ends. When the size is reached the whole file
is hashed; a match is renamed into ``DIR/blobs/ab/cdef...`` (the node's layout, see
``storage/blob_store.py``) with file and directory fsync'd before the row is recorded.

Several receivers may get chunks of one file (shared subscriptions spread messages): an
exclusive ``flock`` on the partial file serialises them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from central.store import CentralStore
from storage.blob_store import fsync_dir

log = logging.getLogger("motcua.central.blobs")

PARTIAL_DIR: Final = "partial"
_READ: Final = 1 << 20


@dataclass(frozen=True)
class Progress:
    """What the city holds of one file: bytes [0, next_offset), and whether it is whole."""

    next_offset: int
    complete: bool
    # Set when the last step found something to count: "bad_hash" or "partial_too_long".
    problem: str = ""


class FileTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"file of {size} bytes is over the limit of {limit} bytes")


class BlobReceiver:
    def __init__(self, root: Path, store: CentralStore, max_file_bytes: int) -> None:
        self.root = root
        self.store = store
        self.max_file_bytes = max_file_bytes
        self.partial_dir = root / PARTIAL_DIR
        self.partial_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:]

    def partial_path(self, sha256: str) -> Path:
        return self.partial_dir / f"{sha256}.part"

    def _held(self, sha256: str, size: int, at: str) -> bool:
        """True when the whole file is stored (the row is repaired if only the file is)."""
        if self.store.blob_size(sha256) is not None:
            return True
        final = self.path_for(sha256)
        try:
            if final.stat().st_size == size:
                # Renamed into place, then the process died before the row: finish the job.
                self.store.record_blob(sha256, size, at)
                return True
        except FileNotFoundError:
            pass
        return False

    def offer(self, sha256: str, size: int, at: str) -> Progress:
        """Where the node should start sending ``sha256``."""
        return self._under_lock(sha256, size, at, None)

    def chunk(self, sha256: str, size: int, offset: int, data: bytes, at: str) -> Progress:
        """Store ``data`` if it starts where the partial file ends; report progress."""
        return self._under_lock(sha256, size, at, (offset, data))

    def _under_lock(
        self, sha256: str, size: int, at: str, chunk: tuple[int, bytes] | None
    ) -> Progress:
        self._check_size(size)
        while True:
            if self._held(sha256, size, at):
                return Progress(size, True)
            with self._locked_partial(sha256) as fd:
                if fd is None:
                    continue  # finished or discarded by another receiver meanwhile
                held = os.fstat(fd).st_size
                if held == 0 and self._held(sha256, size, at):
                    # Another receiver stored the file between our look and our lock, and
                    # our open made this empty partial anew: it must not linger.
                    self.partial_path(sha256).unlink(missing_ok=True)
                    return Progress(size, True)
                if chunk is not None:
                    offset, data = chunk
                    if held <= size and offset == held and data:
                        os.pwrite(fd, data, offset)
                        os.fsync(fd)
                return self._settle(sha256, size, fd, at)

    def _check_size(self, size: int) -> None:
        if size > self.max_file_bytes:
            raise FileTooLarge(size, self.max_file_bytes)

    def _settle(self, sha256: str, size: int, fd: int, at: str) -> Progress:
        """Report the partial file's progress; verify and store it once it is whole."""
        held = os.fstat(fd).st_size
        if held > size:
            # Longer than the file can be (a different size was announced before):
            # nothing in it can be trusted.
            os.ftruncate(fd, 0)
            os.fsync(fd)
            return Progress(0, False, "partial_too_long")
        if held < size:
            return Progress(held, False)
        digest = hashlib.sha256()
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, _READ):
            digest.update(chunk)
        partial = self.partial_path(sha256)
        if digest.hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            log.warning("event=blob_bad_hash sha256=%s size=%d", sha256, size)
            return Progress(0, False, "bad_hash")
        final = self.path_for(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, final)
        fsync_dir(final.parent)
        fsync_dir(self.partial_dir)
        self.store.record_blob(sha256, size, at)
        log.info("event=blob_stored sha256=%s size=%d", sha256, size)
        return Progress(size, True)

    @contextlib.contextmanager
    def _locked_partial(self, sha256: str) -> Iterator[int | None]:
        """The partial file, open and exclusively locked (created empty if new).

        None when the file at the path changed while we waited for the lock (another
        receiver stored or discarded it): the caller looks again.
        """
        path = self.partial_path(sha256)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            yield fd if same else None
        finally:
            os.close(fd)  # closing also releases the lock
