"""Moving a scan's source file under a free name: into processed/, or back from quarantine.

Guarantees of ``move_unique``:
- Every name fits: a name too long for the filesystem, or for its ``(2)`` variant, is
  shortened (``names.fit_name``), never refused with ENAMETOOLONG.
- Never overwrites: a second ``SCN_0001.pdf`` becomes ``SCN_0001 (2).pdf``. On one
  filesystem the name is claimed with ``os.link`` (fails if taken) and the source unlinked
  after; where hard links are refused (some SMB servers), an ``O_EXCL`` placeholder is
  created and the source renamed over it.
- Finishes an interrupted move: if a candidate name already is the source (linked before a
  crash), the source is only unlinked. A crash therefore leaves the file in one or both
  places, never in neither.
- Across filesystems: the bytes go to a hidden temporary in the destination, fsynced, get
  their final name, and only then is the source removed.
- Only a regular file is moved (``OSError`` otherwise); folders are fsynced after.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from scanner_ingest.names import fit_name
from storage.blob_store import fsync_dir as fsync_local_dir

_CHUNK = 1 << 20


class NoFreeName(FileExistsError):
    pass


def candidates(name: str, reserve: int = 0) -> Iterator[str]:
    """``name``, then ``stem (2).ext``, ``stem (3).ext`` ..., each shortened where it would
    not fit with ``reserve`` more bytes (``names.fit_name``)."""
    yield fit_name(name, reserve=reserve)
    for n in range(2, 10_000):
        yield fit_name(name, reserve=reserve, number=n)


def fsync_dir(directory: Path) -> None:
    """``storage.blob_store.fsync_dir`` where the filesystem allows it: drop folders may be on
    network filesystems that refuse fsync on a folder."""
    with contextlib.suppress(OSError):
        fsync_local_dir(directory)


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samestat(a.lstat(), b.lstat())
    except OSError:
        return False


def move_unique(src: Path, dest_dir: Path, name: str) -> Path:
    """Move the regular file ``src`` into ``dest_dir`` as ``name`` or the first free variant;
    return where it went. See the module docstring."""
    if not stat.S_ISREG(src.lstat().st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(src))
    dest_dir.mkdir(parents=True, exist_ok=True)
    for candidate in candidates(name):
        final = dest_dir / candidate
        try:
            os.link(src, final, follow_symlinks=False)
        except FileExistsError:
            if _same(src, final):
                break  # linked before a crash: finish by unlinking the source
            continue
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                return _move_across(src, dest_dir, name)
            placed = _rename_over_placeholder(src, final)
            if placed is None:
                continue
            return placed
        break
    else:
        raise NoFreeName(f"no free name for {name!r} in {dest_dir}")
    fsync_dir(dest_dir)
    src.unlink()
    fsync_dir(src.parent)
    return final


def _rename_over_placeholder(src: Path, final: Path) -> Path | None:
    """No hard links here: reserve ``final`` with O_EXCL, then rename ``src`` over it."""
    try:
        os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return None
    try:
        os.rename(src, final)
    except OSError as exc:
        final.unlink(missing_ok=True)
        if exc.errno == errno.EXDEV:
            return _move_across(src, final.parent, final.name)
        raise
    fsync_dir(final.parent)
    fsync_dir(src.parent)
    return final


def _move_across(src: Path, dest_dir: Path, name: str) -> Path:
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=".move-", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fout, open_regular(src) as fin:
            while chunk := fin.read(_CHUNK):
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        final = claim_name(tmp, dest_dir, name)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(dest_dir)
    src.unlink()
    fsync_dir(src.parent)
    return final


def claim_name(
    tmp: Path,
    dest_dir: Path,
    name: str,
    *,
    reserved: Callable[[Path], bool] | None = None,
    reserve: int = 0,
) -> Path:
    """Give ``tmp`` (in ``dest_dir``) the first free name among ``candidates(name, reserve)``,
    atomically; a name for which ``reserved`` is true is skipped."""
    for candidate in candidates(name, reserve):
        final = dest_dir / candidate
        if reserved is not None and reserved(final):
            continue
        try:
            os.link(tmp, final)
        except FileExistsError:
            continue
        except OSError:
            try:
                os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            os.replace(tmp, final)
        return final
    raise NoFreeName(f"no free name for {name!r} in {dest_dir}")


def open_regular(src: Path) -> BinaryIO:
    """``src`` opened for reading, never through a symbolic link, never a FIFO or device."""
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(src))
    return os.fdopen(fd, "rb")
