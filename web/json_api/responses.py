"""The error answers each operation can give, for the published OpenAPI document.

Every error body has the same shape (``web.json_api.errors`` builds it); an operation lists
the statuses it can answer with, so a client written against the document is told about
its 401s, 404s and 507s instead of finding them. What every operation of a kind can answer
is added here, in one place: 401 to every operation behind the log-in door (``errors``),
403 and 507 to every one that writes (``writes``).
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
    401: "Not authenticated: no session cookie or API token, or one that is unknown, expired,"
    " revoked or of a disabled account. Log in, or send 'Authorization: Bearer TOKEN'."
    " Nothing was changed.",
    403: "The caller's roles do not allow this, or a cookie request lacked its CSRF token."
    " Nothing was changed.",
    404: "No such resource here.",
    409: "Not allowed in the current state (a lifecycle step or a scan already decided)."
    " Nothing was changed.",
    413: "The body is too large (a file: the node's documents.max_upload_bytes; a JSON"
    " body: Litestar's 10 MB). Nothing was kept.",
    500: "A defect of the server, logged with its traceback under `request_id`.",
    503: "The city's store is unavailable; try again later.",
    507: "The server's disk is full: nothing of this request was saved. Send it again once"
    " space is freed (ask the technician); the `Retry-After` header says when to try.",
}
# A node's 503 has another cause than the city's: its own clock (node.clock_estimate).
_CLOCK_OFF = (
    "This machine's clock is known to be off, so the time it would record (a reception,"
    " a step, an appointment) would be wrong: refused, nothing was changed (`field` is"
    " `clock`). Try again once the clock is set right; `Retry-After` says when."
)


def errors(*statuses: int, public: bool = False) -> dict[int, ResponseSpec]:
    """The ``responses`` of a handler: these statuses and a 500, each with the error body;
    and unless ``public``, 401 and 403: the log-in door refuses an anonymous call to any
    other route, and an account holding no role of the site (web.auth.middleware)."""
    return _specs({*statuses, 500} if public else {*statuses, 401, 403, 500}, _WHY)


def writes(*statuses: int, clock: bool = False) -> dict[int, ResponseSpec]:
    """The ``responses`` of an authenticated handler that writes: ``errors(*statuses)`` and
    403 (a cookie request without its CSRF token; the roles) and 507 (a full disk,
    web.json_api.errors). ``clock``: a node's service that refuses while its clock is known
    off (503, node.clock_estimate.require_sound_clock)."""
    if clock and 503 in statuses:
        raise ValueError("503 means the clock (clock=True) or the city's store, not both")
    found = {*statuses, 401, 403, 500, 507}
    if not clock:
        return _specs(found, _WHY)
    return _specs(found | {503}, {**_WHY, 503: _CLOCK_OFF})


def _specs(statuses: set[int], why: dict[int, str]) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(data_container=ErrorOut, description=why[status])
        for status in sorted(statuses)
    }


def health_responses() -> dict[int, ResponseSpec]:
    """``/healthz`` (public): its 503 carries the health body itself, not an error body."""
    unhealthy = ResponseSpec(
        data_container=dict[str, Any],
        description="The service cannot work: the same body as a 200, with `status`"
        ' "error" and `reasons` saying why (a full disk, a damaged database, ...).',
    )
    return {**errors(public=True), 503: unhealthy}
