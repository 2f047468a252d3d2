"""What a scanned file is (by its magic bytes) and whether it parses as that.

Contract of ``check_file``: given a path, return a ``ValidationResult`` that is either accepted
(``kind`` and ``pages`` set) or refused with a reason code from ``reasons``. It never trusts
the extension. Every file is parsed fully (every frame or page decoded) by a ``Decoder``
(``pdf_worker.PdfWorker``), in a process with a memory limit: PDFium must live in its own
process, and an image can be made to decode into gigabytes. Images are judged by
``validate_image`` here, run in that process. Raises ``FileNotFoundError`` if the file
vanished (renamed away by the scanner), which is not a property of a file and so has no
reason code.
"""

from __future__ import annotations

import os
import re
import stat
import struct
from pathlib import Path
from typing import BinaryIO, Protocol

import msgspec
from PIL import Image, ImageFile, ImageSequence

from node.file_types import HEAD_BYTES, FileKind, sniff
from scanner_ingest import reasons
from scanner_ingest.budgets import MAX_IMAGE_PIXELS

__all__ = ["HEAD_BYTES", "FileKind", "sniff"]  # the shared sniffer, as ingest uses it
#: Default size limit; larger files are refused as ``too_large``.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


class ValidationResult(msgspec.Struct, frozen=True):
    """Verdict on one file. ``reason is None`` means accepted."""

    kind: FileKind | None
    pages: int = 0  # pages (PDF) or frames (images); 0 when refused
    reason: str | None = None  # a code from ``reasons``
    detail: str = ""  # technical detail for the log and the .reason.json

    @property
    def ok(self) -> bool:
        return self.reason is None


def accepted(kind: FileKind, pages: int) -> ValidationResult:
    return ValidationResult(kind=kind, pages=pages)


def refused(code: str, detail: str = "", kind: FileKind | None = None) -> ValidationResult:
    reasons.reason(code)  # a code outside the closed set is a programming error
    return ValidationResult(kind=kind, reason=code, detail=detail)


class Decoder(Protocol):
    def validate_pdf(self, path: Path) -> ValidationResult:
        """Parse the PDF at ``path`` (in a process where PDFium may run) and judge it."""
        ...

    def validate_image(self, path: Path, kind: FileKind) -> ValidationResult:
        """``validate_image`` in a process with a memory limit."""
        ...


#: The Pillow format a kind must parse as (Pillow's JPEG opener also reads MPO).
PIL_FORMATS = {
    FileKind.TIFF: ["TIFF"],
    FileKind.JPEG: ["JPEG"],
    FileKind.PNG: ["PNG"],
}


def check_file(path: Path, *, pdf: Decoder, max_bytes: int = DEFAULT_MAX_BYTES) -> ValidationResult:
    """Size check, type by magic bytes, then a full parse. See the module docstring.

    Only regular files are read: a symbolic link, FIFO or folder is ``unreadable`` (a FIFO
    would block the reader, a link could point anywhere on the node).
    """
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return refused(reasons.UNREADABLE, "not a regular file")
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(HEAD_BYTES)
    except FileNotFoundError:
        raise
    except OSError as exc:
        reasons.raise_if_transient(exc)  # out of descriptors, EIO on the share: retry later
        return refused(reasons.UNREADABLE, f"{type(exc).__name__}: {exc}")
    if size == 0:
        return refused(reasons.EMPTY, "0 bytes")
    if size > max_bytes:
        return refused(reasons.TOO_LARGE, f"{size} bytes > limit {max_bytes}")
    if not head.strip(b"\x00"):
        # Space reserved by a writer that has not written yet: not a type, not final.
        return refused(reasons.EMPTY, f"{size} bytes, only zero bytes at the start")
    kind = sniff(head)
    if kind is None:
        return refused(reasons.UNKNOWN_TYPE, f"magic bytes {head[:8].hex(' ')}")
    return validate(path, kind, pdf=pdf)


def validate(path: Path, kind: FileKind, *, pdf: Decoder) -> ValidationResult:
    """Parse ``path`` fully as ``kind`` with ``pdf``, the decoder."""
    if kind is FileKind.PDF:
        return pdf.validate_pdf(path)
    return pdf.validate_image(path, kind)


def validate_image(path: Path, kind: FileKind) -> ValidationResult:
    """Pillow ``verify()`` and then a full ``load()`` of every frame, each frame within
    ``budgets.MAX_IMAGE_PIXELS``; a JPEG must also carry scan data for its pixels (see
    ``jpeg_data_missing``). Decodes: run it in the worker process.

    Refuses to run if ``ImageFile.LOAD_TRUNCATED_IMAGES`` was switched on anywhere in the
    process: truncated scans would then load as grey-padded pictures and be accepted.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set; scans cannot be validated")
    formats = PIL_FORMATS[kind]
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise
    except OSError as exc:
        reasons.raise_if_transient(exc)
        return refused(reasons.UNREADABLE, f"{type(exc).__name__}: {exc}", kind)
    with f:
        try:
            with Image.open(f, formats=formats) as im:
                im.verify()
            f.seek(0)
            with Image.open(f, formats=formats) as im:
                pages = 0
                for frame in ImageSequence.Iterator(im):
                    width, height = frame.size
                    if width * height > MAX_IMAGE_PIXELS:
                        detail = (
                            f"frame {pages + 1} is {width}x{height} pixels, over the budget "
                            f"of {MAX_IMAGE_PIXELS}"
                        )
                        return refused(reasons.TOO_LARGE, detail, kind)
                    frame.load()
                    pages += 1
            if kind is FileKind.JPEG and (missing := jpeg_data_missing(f)):
                return refused(reasons.UNPARSEABLE, missing, kind)
        except Image.DecompressionBombError as exc:
            return refused(reasons.TOO_LARGE, str(exc), kind)
        except MemoryError as exc:  # in the worker: its memory limit
            return refused(reasons.TOO_LARGE, f"out of memory decoding it: {exc!r}", kind)
        except Exception as exc:  # Pillow raises many types on bad input
            detail = f"{type(exc).__name__}: {exc}"
            code = reasons.TRUNCATED if _failed_as_truncated(f, kind, exc) else reasons.UNPARSEABLE
            return refused(code, detail, kind)
    if pages < 1:
        return refused(reasons.UNPARSEABLE, "no frames", kind)
    return accepted(kind, pages)


_JPEG_FRAMES = {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
# In scan data 0xFF is followed by 0x00 (a stuffed byte) or RST0-7; anything else ends it.
_JPEG_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_JPEG_READ = 4 * 1024 * 1024  # more scan data than any image within budget needs


def jpeg_data_missing(f: BinaryIO) -> str | None:
    """Why the JPEG in ``f`` cannot hold the pixels it declares, or None.

    A decoder fills a scan that ends early with grey and only warns, so a 1 KB file that
    declares 12000² decodes "successfully". Every 8x8 block of every component costs at
    least one bit of scan data (its DC difference), so the scans must hold at least
    blocks / 8 bytes for the smallest component. Reads at most the first 4 MiB.
    """
    f.seek(0)
    data = f.read(_JPEG_READ)
    at, blocks, scan_bytes = 2, 0, 0
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None  # not a marker where one must be: let the decoder judge
        marker = data[at + 1]
        if marker == 0xFF:
            at += 1  # fill byte
            continue
        if marker == 0xD9:
            break
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        body = data[at + 4 : at + 2 + length]
        at += 2 + length
        if marker in _JPEG_FRAMES and len(body) >= 6:
            height, width, count = struct.unpack(">HHB", body[1:6])
            factors = [(b >> 4, b & 15) for b in body[7 : 6 + 3 * count : 3]]
            if not factors or min(min(h, v) for h, v in factors) < 1:
                return None
            h_max, v_max = max(h for h, _ in factors), max(v for _, v in factors)
            blocks = min(
                _ceil(_ceil(width * h, h_max), 8) * _ceil(_ceil(height * v, v_max), 8)
                for h, v in factors
            )
        elif marker == 0xDA:
            end = _JPEG_SCAN_END.search(data, at)
            if end is None:
                return None  # scan data beyond what was read: plenty
            scan_bytes += end.start() - at
            at = end.start()
    if blocks and scan_bytes * 8 < blocks:
        return f"declares {blocks} blocks of pixels but carries {scan_bytes} bytes of scan data"
    return None


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _failed_as_truncated(f: BinaryIO, kind: FileKind, exc: Exception) -> bool:
    if "truncat" in str(exc).lower():
        return True
    try:
        return looks_truncated(f, kind)
    except OSError:
        return False


def looks_truncated(f: BinaryIO, kind: FileKind) -> bool:
    """True if the file lacks the end its format requires (cut off, or still being written).

    PDF: ``%%EOF`` within the last 1 KiB (ignoring trailing whitespace and NULs). JPEG: ends
    with the EOI marker. PNG: has an IEND chunk at the end. TIFF: an image file directory
    lies beyond the end of the file.
    """
    size = f.seek(0, os.SEEK_END)
    if kind is FileKind.TIFF:
        return _tiff_truncated(f, size)
    f.seek(max(0, size - 4096))
    tail = f.read().rstrip(b"\x00\t\n\r\f ")
    if kind is FileKind.PDF:
        return b"%%EOF" not in tail[-1024:]
    if kind is FileKind.JPEG:
        return not tail.endswith(b"\xff\xd9")
    return b"IEND" not in tail[-32:]


def _tiff_truncated(f: BinaryIO, size: int) -> bool:
    f.seek(0)
    head = f.read(16)
    if len(head) < 8:
        return True
    order = "<" if head[:2] == b"II" else ">"
    big = head[2:4] in (b"+\x00", b"\x00+")
    if big:
        if len(head) < 16:
            return True
        offset = struct.unpack(order + "Q", head[8:16])[0]
        count_fmt, entry_size, next_fmt = "Q", 20, "Q"
    else:
        offset = struct.unpack(order + "I", head[4:8])[0]
        count_fmt, entry_size, next_fmt = "H", 12, "I"
    count_size, next_size = struct.calcsize(count_fmt), struct.calcsize(next_fmt)
    seen: set[int] = set()
    while offset and offset not in seen and len(seen) < 10_000:
        seen.add(offset)
        if offset + count_size > size:
            return True
        f.seek(offset)
        (count,) = struct.unpack(order + count_fmt, f.read(count_size))
        next_at = offset + count_size + count * entry_size
        if next_at + next_size > size:
            return True
        f.seek(next_at)
        (offset,) = struct.unpack(order + next_fmt, f.read(next_size))
    return False
