"""Move a refused scan into the quarantine folder, with a ``.reason.json`` that says why.

Guarantees of ``quarantine``:
- Never overwrites: a second ``SCN_0001.pdf`` becomes ``SCN_0001 (2).pdf``. The final name
  is claimed with ``os.link`` (fails if taken); where hard links are not supported, with an
  ``O_EXCL`` placeholder that is then replaced.
- Works across filesystems: the bytes are copied into a hidden temporary file in the
  quarantine folder, fsynced, given their final name, and the folder fsynced.
- ``<name>.reason.json`` is written the same way (tmp, fsync, rename, fsync folder). A
  name too long to carry that suffix is shortened first (``names.fit_name``).
- The source is removed last, only after both are durable. If that removal fails the
  ``OSError`` propagates and the quarantined copy stays; the caller must then not forget the
  source, or it would be quarantined again.
- The quarantine folder is never followed if it is a symbolic link: ``SymlinkRefused``.
- Only a regular file is moved: a symbolic link (whose target could be any file on the
  node) or a FIFO raises ``OSError`` and is left alone.
- Temporary files are removed whatever happens. A crash at worst leaves a hidden ``.*.tmp``
  in the quarantine folder, or the source still in place (quarantined again later: a
  duplicate, never a loss).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from scanner_ingest import reasons
from scanner_ingest.moves import claim_name, open_regular, owned_dir
from scanner_ingest.moves import fsync_dir as fsync_folder_if_possible
from scanner_ingest.names import nfc
from storage.blob_store import fsync_dir

log = logging.getLogger(__name__)

REASON_SUFFIX = ".reason.json"
_CHUNK = 1024 * 1024


class QuarantineRecord(msgspec.Struct, frozen=True):
    """Contents of ``<name>.reason.json``: written for staff who open the share, never read
    back by the node (anyone who can write to the share could have written it)."""

    file: str  # the quarantined file's name in the quarantine folder
    reason: str  # a code from ``reasons``
    message_vi: str
    message_en: str
    detail: str
    original_path: str  # NFC
    quarantined_at: str  # UTC, ISO 8601 with "Z"
    size: int
    sha256: str


_encoder = msgspec.json.Encoder()


class SourceChangedWhileCopied(Exception):
    """The source is not the file that was judged (a writer came back): nothing was
    quarantined and it stays where it is, to be observed again."""


def quarantine(
    src_path: Path,
    quarantine_dir: Path,
    reason: str,
    detail: str = "",
    *,
    now: datetime | None = None,
    expect: tuple[int, int] | None = None,
    on_durable: Callable[[QuarantineRecord, Path], None] | None = None,
) -> Path:
    """Move ``src_path`` into ``quarantine_dir`` for ``reason``; return its new path.

    ``expect``: the (size, mtime_ns) of the observation that gave up on the file. The
    source must still look so after the copy and just before it is removed, else
    ``SourceChangedWhileCopied`` and nothing is kept: bytes appended meanwhile must not
    be deleted with a copy that lacks them.

    ``on_durable(record, dest)`` is called once the copy and its record are durable and
    before the source is removed (the caller commits its own record of the quarantine
    there): a crash then leaves a duplicate, never a file quarantined without a trace. If
    it raises, the copy and its record are removed and the source stays."""
    why = reasons.reason(reason)
    when = (now or datetime.now(UTC)).astimezone(UTC)
    owned_dir(quarantine_dir)
    tmp = _tmp_path(quarantine_dir)
    try:
        size, sha256 = _copy_durably(src_path, tmp, expect)
        # An orphaned record keeps its name: a new file must not take it.
        final = claim_name(
            tmp,
            quarantine_dir,
            nfc(src_path.name),
            reserved=lambda f: record_path(f).exists(),
            reserve=len(REASON_SUFFIX),  # the record's name must fit too
        )
        fsync_dir(quarantine_dir)
        record = QuarantineRecord(
            file=final.name,
            reason=why.code,
            message_vi=why.message_vi,
            message_en=why.message_en,
            detail=detail,
            original_path=nfc(str(src_path)),
            quarantined_at=when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            size=size,
            sha256=sha256,
        )
        _write_atomically(record_path(final), _encode(record))
    finally:
        tmp.unlink(missing_ok=True)
    try:
        if expect is not None and _looks(src_path.lstat()) != expect:
            raise SourceChangedWhileCopied(f"{src_path} changed while it was quarantined")
        if on_durable is not None:
            on_durable(record, final)
    except BaseException:
        for kept in (final, record_path(final)):
            kept.unlink(missing_ok=True)
        raise
    src_path.unlink()
    fsync_folder_if_possible(src_path.parent)
    log.info("scan_quarantined src=%r dest=%r reason=%s", str(src_path), str(final), reason)
    return final


def _encode(record: QuarantineRecord) -> bytes:
    return msgspec.json.format(_encoder.encode(record), indent=2) + b"\n"


def record_path(quarantined: Path) -> Path:
    return quarantined.with_name(quarantined.name + REASON_SUFFIX)


def _tmp_path(directory: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=directory, prefix=".quarantine-", suffix=".tmp")
    os.close(fd)
    return Path(name)


def _looks(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns


def _copy_durably(src: Path, dest: Path, expect: tuple[int, int] | None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open_regular(src) as fin, dest.open("wb") as fout:
        while chunk := fin.read(_CHUNK):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
        if expect is not None and (_looks(os.fstat(fin.fileno())) != expect or size != expect[0]):
            raise SourceChangedWhileCopied(f"{src} changed while it was copied")
        fout.flush()
        os.fsync(fout.fileno())
    return size, digest.hexdigest()


def _write_atomically(dest: Path, data: bytes) -> None:
    tmp = _tmp_path(dest.parent)
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(dest.parent)
