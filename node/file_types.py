"""The type of a document from its first bytes, never from its name or what a client says.

The one sniffer both doors use: uploads through the HTTP API label a document with it, and
scanner ingest decides from it how to parse a scan. So the two accept the same set of
types (a test says so). BigTIFF (``II+``/``MM+``) is TIFF: scanners and archive software
write it for large scans, and Pillow reads it.
"""

from __future__ import annotations

import enum
import re


class FileKind(enum.StrEnum):
    PDF = "pdf"
    TIFF = "tiff"
    JPEG = "jpeg"
    PNG = "png"


#: The media type of each kind.
MIME: dict[FileKind, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.TIFF: "image/tiff",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
}
#: Bytes to read from the start of a file to tell its type.
HEAD_BYTES = 1024

_PDF_MAGIC = b"%PDF-"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_DECLARED = re.compile(r"^[a-z0-9.+-]+/[a-z0-9.+-]+$")
_UNKNOWN = "application/octet-stream"


def sniff(head: bytes) -> FileKind | None:
    """The kind the magic bytes at the start of a file announce, or None.

    A PDF header may follow up to 1 KiB of junk (readers allow it); the others must start
    the file.
    """
    if head.startswith(_JPEG_MAGIC):
        return FileKind.JPEG
    if head.startswith(_PNG_MAGIC):
        return FileKind.PNG
    if head.startswith(_TIFF_MAGICS):
        return FileKind.TIFF
    if _PDF_MAGIC in head[:HEAD_BYTES]:
        return FileKind.PDF
    return None


def media_type(head: bytes, declared: str | None = None) -> str:
    """The media type of an uploaded document: the sniffed one; else what the client
    declared if it is well formed and not one of ours (e.g. the XML of a signed e-form: a
    file that claims to be a PDF but does not start like one is not labelled a PDF); else
    ``application/octet-stream``."""
    kind = sniff(head)
    if kind is not None:
        return MIME[kind]
    claimed = (declared or "").lower()
    if _DECLARED.match(claimed) and claimed not in MIME.values():
        return claimed
    return _UNKNOWN
