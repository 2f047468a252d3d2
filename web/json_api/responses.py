"""The error answers each operation can give, for the published OpenAPI document.

Every error body has the same shape (``web.json_api.errors`` builds it); an operation lists
the statuses it can answer with, so a client written against the document is told about
its 404s and 409s instead of finding them.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec


class ErrorOut(msgspec.Struct, frozen=True, omit_defaults=True):
    status_code: int
    detail: str  # what was wrong, in words
    field: str | None = None  # where: a body field (dotted path), parameter or header
    extra: list[dict[str, Any]] | None = None  # every validation complaint, when several
    request_id: str | None = None  # on a 500: quote it to find the traceback in the log


_WHY = {
    400: "Refused: `detail` says what was wrong and `field` where. Nothing was changed.",
    401: "Not authenticated: log in, or send 'Authorization: Bearer TOKEN'.",
    403: "The caller's roles do not allow this, or a cookie request lacked its CSRF token."
    " Nothing was changed.",
    404: "No such resource here.",
    409: "Not allowed in the current state (a lifecycle step or a scan already decided)."
    " Nothing was changed.",
    413: "The body is too large (a file: the node's documents.max_upload_bytes; a JSON"
    " body: Litestar's 10 MB). Nothing was kept.",
    500: "A defect of the server, logged with its traceback under `request_id`.",
    503: "The city's store is unavailable; try again later.",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The ``responses`` of a handler: these statuses and a 500, each with the error body."""
    return {
        status: ResponseSpec(data_container=ErrorOut, description=_WHY[status])
        for status in sorted({*statuses, 500})
    }
