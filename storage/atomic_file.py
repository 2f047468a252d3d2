"""Atomic file writes: the file is either absent, the old one, or the whole new one.

Write ``.name.tmp``, fsync, rename over the target, fsync the directory, so a crash or a
full disk never leaves a half-written key or certificate behind.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from storage.blob_store import fsync_dir


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data``, created with exactly ``mode`` (umask not applied)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            os.fchmod(fd, mode)  # O_CREAT's mode is masked by the umask; be exact
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)
