"""What a scanned file is (by its magic bytes) and whether it parses as that.

Contract of ``check_file``: given a path, return a ``ValidationResult`` that is either accepted
(``kind`` and ``pages`` set) or refused with a reason code from ``reasons``. It never trusts
the extension. Images are parsed here, with Pillow, fully (every frame decoded); PDFs are
handed to a ``PdfValidator`` (``pdf_worker.PdfWorker``), because PDFium must live in its own
process. Raises ``FileNotFoundError`` if the file vanished (renamed away by the scanner),
which is not a property of a file and so has no reason code.
"""

from __future__ import annotations

import enum
import os
import stat
import struct
from pathlib import Path
from typing import BinaryIO, Protocol

import msgspec
from PIL import Image, ImageFile, ImageSequence

from scanner_ingest import reasons

#: Bytes read from the start of a file to tell its type.
HEAD_BYTES = 1024
#: Default size limit; larger files are refused as ``too_large``.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


class FileKind(enum.StrEnum):
    PDF = "pdf"
    TIFF = "tiff"
    JPEG = "jpeg"
    PNG = "png"


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


class PdfValidator(Protocol):
    def validate_pdf(self, path: Path) -> ValidationResult:
        """Parse the PDF at ``path`` (in a process where PDFium may run) and judge it."""
        ...


_PDF_MAGIC = b"%PDF-"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# The Pillow format a kind must parse as (Pillow's JPEG opener also reads MPO).
_PIL_FORMATS = {
    FileKind.TIFF: ["TIFF"],
    FileKind.JPEG: ["JPEG"],
    FileKind.PNG: ["PNG"],
}


def sniff(first_bytes: bytes) -> FileKind | None:
    """The kind the magic bytes at the start of a file announce, or None.

    A PDF header may follow up to 1 KiB of junk (readers allow it); the others must start
    the file.
    """
    if first_bytes.startswith(_JPEG_MAGIC):
        return FileKind.JPEG
    if first_bytes.startswith(_PNG_MAGIC):
        return FileKind.PNG
    if first_bytes.startswith(_TIFF_MAGICS):
        return FileKind.TIFF
    if _PDF_MAGIC in first_bytes[:HEAD_BYTES]:
        return FileKind.PDF
    return None


def check_file(
    path: Path, *, pdf: PdfValidator, max_bytes: int = DEFAULT_MAX_BYTES
) -> ValidationResult:
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


def validate(path: Path, kind: FileKind, *, pdf: PdfValidator) -> ValidationResult:
    """Parse ``path`` fully as ``kind``; PDFs go to ``pdf``."""
    if kind is FileKind.PDF:
        return pdf.validate_pdf(path)
    return validate_image(path, kind)


def validate_image(path: Path, kind: FileKind) -> ValidationResult:
    """Pillow ``verify()`` and then a full ``load()`` of every frame.

    Refuses to run if ``ImageFile.LOAD_TRUNCATED_IMAGES`` was switched on anywhere in the
    process: truncated scans would then load as grey-padded pictures and be accepted.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set; scans cannot be validated")
    formats = _PIL_FORMATS[kind]
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
                    frame.load()
                    pages += 1
        except Image.DecompressionBombError as exc:
            return refused(reasons.TOO_LARGE, str(exc), kind)
        except Exception as exc:  # Pillow raises many types on bad input
            detail = f"{type(exc).__name__}: {exc}"
            code = reasons.TRUNCATED if _failed_as_truncated(f, kind, exc) else reasons.UNPARSEABLE
            return refused(code, detail, kind)
    if pages < 1:
        return refused(reasons.UNPARSEABLE, "no frames", kind)
    return accepted(kind, pages)


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
