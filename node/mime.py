"""The type of a document from its first bytes, not from its name or what a client says."""

from __future__ import annotations

import re

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_DECLARED = re.compile(r"^[a-z0-9.+-]+/[a-z0-9.+-]+$")
HEAD_BYTES = 16


def detect(head: bytes, declared: str | None = None) -> str:
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if (
        declared
        and _DECLARED.match(declared.lower())
        and declared.lower() not in ("application/pdf", "image/png", "image/jpeg", "image/tiff")
    ):
        return declared.lower()  # a type we do not sniff (e.g. XML of a signed e-form)
    return "application/octet-stream"
