"""The headers every answer of the node carries, so a browser holding a staff session is
never talked into running what it should not.

- ``X-Content-Type-Options: nosniff``: a browser never guesses HTML out of a stored file.
- ``X-Frame-Options: SAMEORIGIN`` and CSP ``frame-ancestors 'self'``: no other site frames
  a page to trick a click (the dossier page frames its own forms and documents).
- ``Referrer-Policy: same-origin``: a dossier's address and a search (a citizen's name)
  never leave the node in a Referer.
- A Content-Security-Policy that lets a page load only the node's own scripts, styles,
  images and frames: no inline script or style, no ``javascript:`` URL, no plugin, forms
  post only to the node. Should an injection ever slip past autoescaping, it does not run.

A handler that sets its own CSP (a stored document: ``sandbox``, nothing runs) keeps it.
Swagger UI (``/schema``) is Litestar's page with an inline start-up script and style: it
gets a policy allowing those two, still nothing from elsewhere.
"""

from __future__ import annotations

from litestar.types import Message, Scope

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
    "form-action 'self'"
)
SCHEMA_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; frame-ancestors 'self'; base-uri 'none'; "
    "form-action 'self'"
)
SCHEMA_PREFIX = "/schema"
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
)


def _policy(path: str) -> bytes:
    if path == SCHEMA_PREFIX or path.startswith(SCHEMA_PREFIX + "/"):
        return SCHEMA_CSP.encode()
    return PAGE_CSP.encode()


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: the headers above, where the handler set none of its own."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    present = {bytes(k).lower() for k, _ in headers}
    for name, value in (*_ALWAYS, (b"content-security-policy", _policy(str(scope["path"])))):
        if name not in present:
            headers.append((name, value))
    message["headers"] = headers
