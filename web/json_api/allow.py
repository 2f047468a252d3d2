"""The ``Allow`` header of an OPTIONS answer lists every method of the path.

Litestar 2 builds the automatic OPTIONS handler when the first handler of a path is
registered and keeps that route's method list, so ``OPTIONS /api/v1/dossiers`` said
``OPTIONS, POST`` and left out GET (fixed upstream only in Litestar 3). This hook rewrites
the header from the app's own map of the path's handlers.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.types import Message, Scope


async def complete_allow_header(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    template = scope.get("path_template")
    if template is None:
        return
    handlers = Litestar.from_scope(scope).route_handler_method_map.get(template)
    if not handlers:
        return
    allow = ", ".join(sorted({str(method) for method in handlers} | {"OPTIONS"}))
    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
    message["headers"] = [*headers, (b"allow", allow.encode("latin-1"))]
