"""A stored file (a document, a scan) handed to a browser: one policy for every door.

The bytes are a citizen's or a scanner's, never the node's: a browser may draw them inline
only when they are a type it shows without running anything (PDF, PNG, JPEG); anything else
(an uploaded ``.html`` or ``.svg``, an XML e-form) is a download. Either way the browser
never guesses a type (``nosniff``) and the answer's own CSP sandboxes it, so even a file a
browser did render could run no script on the node's origin.
"""

from __future__ import annotations

from pathlib import Path

from litestar.response import File

INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
# Nothing runs, nothing loads from elsewhere. No ``sandbox`` on what is shown inline:
# Chromium refuses to open its PDF viewer in a sandboxed document.
DOCUMENT_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def stored_file(path: Path, mime: str, filename: str, *, download: bool = False) -> File:
    """``path`` as an answer: inline for the :data:`INLINE_TYPES` unless ``download``,
    else an attachment typed ``application/octet-stream``."""
    inline = mime in INLINE_TYPES and not download
    return File(
        path,
        filename=filename,
        media_type=mime if mime in INLINE_TYPES else "application/octet-stream",
        content_disposition_type="inline" if inline else "attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": DOCUMENT_CSP if inline else "sandbox; " + DOCUMENT_CSP,
            "Cache-Control": "private, no-store",
        },
    )
