"""Where a document's bytes live: content-addressed files under ``DIR/blobs``.

A file is named by its SHA-256 (``blobs/ab/cdef…``). Bytes go to a temporary file that
is fsync'd, renamed into place and the directory fsync'd, before any database row names
them: a crash leaves at worst an unreferenced file or a stray temporary, never a row
that points at missing or partial bytes. The same bytes are stored once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from pathlib import Path

import msgspec

TMP_DIR = "tmp"


class BlobInfo(msgspec.Struct, frozen=True):
    sha256: str
    size: int


class BlobTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is larger than the limit of {limit} bytes")
        self.limit = limit


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IncomingBlob:
    """Bytes being received: ``write`` chunks, then ``commit`` (durable) or ``abort``."""

    def __init__(self, store: BlobStore, limit: int | None) -> None:
        self._store = store
        self._limit = limit
        self._hash = hashlib.sha256()
        self.size = 0
        self.tmp_path = store.root / TMP_DIR / f"{uuid.uuid4().hex}.tmp"
        self._file = open(self.tmp_path, "xb")  # noqa: SIM115 - closed in commit/abort

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._limit is not None and self.size > self._limit:
            self.abort()
            raise BlobTooLarge(self._limit)
        self._hash.update(chunk)
        self._file.write(chunk)

    def commit(self) -> BlobInfo:
        """Make the bytes durable under their hash; idempotent for bytes already stored."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        info = BlobInfo(self._hash.hexdigest(), self.size)
        final = self._store.path_for(info.sha256)
        if final.exists() and final.stat().st_size == info.size:
            self.tmp_path.unlink()
            return info
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.tmp_path, final)
        fsync_dir(final.parent)
        return info

    def abort(self) -> None:
        """Drop the partial bytes; safe to call twice and after commit."""
        if not self._file.closed:
            self._file.close()
        self.tmp_path.unlink(missing_ok=True)


def _is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / TMP_DIR).mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        if not _is_digest(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def incoming(self, limit: int | None = None) -> IncomingBlob:
        return IncomingBlob(self, limit)

    def put_file(
        self, source: Path, limit: int | None = None, chunk_size: int = 1 << 20
    ) -> BlobInfo:
        blob = self.incoming(limit)
        try:
            with open(source, "rb") as f:
                while chunk := f.read(chunk_size):
                    blob.write(chunk)
            return blob.commit()
        except BaseException:
            blob.abort()
            raise

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def stored_files(self) -> dict[str, int]:
        """SHA-256 -> size of every file in the store (by name; temporaries excluded)."""
        found: dict[str, int] = {}
        for folder in os.scandir(self.root):
            if len(folder.name) != 2 or not folder.is_dir():
                continue  # tmp/ and anything that is not a fan-out folder
            for entry in os.scandir(folder.path):
                digest = folder.name + entry.name
                if not _is_digest(digest):
                    continue
                with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                    found[digest] = entry.stat().st_size
        return found

    def clean_temporaries(self, older_than_seconds: float = 3600.0) -> int:
        """Remove temporaries left by a crash.

        Only old ones: another process (ingest, a second server) may be writing a young one.
        """
        removed, cutoff = 0, time.time() - older_than_seconds
        for stray in (self.root / TMP_DIR).glob("*.tmp"):
            try:
                if stray.stat().st_mtime < cutoff:
                    stray.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
