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
- Never through a symbolic link: a ``processed/`` or ``processed/<day>/`` that is one is
  refused (``SymlinkRefused``) rather than followed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from scanner_ingest.names import fit_name
from storage.blob_store import fsync_dir as fsync_local_dir

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


class NoFreeName(FileExistsError):
    pass


class SymlinkRefused(OSError):
    """A folder the node writes into is a symbolic link (anyone who can write to a share
    can put one there): nothing is written through it."""


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


def owned_dir(directory: Path, levels: int = 1) -> None:
    """Create ``directory`` if needed, refusing (``SymlinkRefused``, logged as an alarm) if
    it or one of its ``levels - 1`` parents is a symbolic link: those are the folders the
    node owns (``quarantine/``, ``processed/<day>/``); the ones above are configured."""
    owned = [directory, *directory.parents][: max(0, levels)]
    for check in (True, False):  # before creating what is missing, and after
        for folder in owned:
            try:
                is_link = stat.S_ISLNK(folder.lstat().st_mode)
            except FileNotFoundError:
                continue
            if is_link:
                log.error("ingest_folder_symlink_refused path=%r", str(folder))
                raise SymlinkRefused(
                    errno.ELOOP, "is a symbolic link; nothing is written through it", str(folder)
                )
        if check:
            directory.mkdir(parents=True, exist_ok=True)


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samestat(a.lstat(), b.lstat())
    except OSError:
        return False


def move_unique(src: Path, dest_dir: Path, name: str, *, owned_levels: int = 2) -> Path:
    """Move the regular file ``src`` into ``dest_dir`` as ``name`` or the first free variant;
    return where it went. See the module docstring. ``owned_levels``: see ``owned_dir``
    (the default suits ``processed/<day>``)."""
    if not stat.S_ISREG(src.lstat().st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(src))
    owned_dir(dest_dir, owned_levels)
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
