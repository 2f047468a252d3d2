"""Domain errors to JSON responses that say what was wrong and where."""

from __future__ import annotations

import logging
import re
import uuid

import apsw
import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from rules.errors import ClockUnsafe, DossierError, NotFound
from rules.lifecycle import IllegalTransition
from rules.permissions import Forbidden
from storage.blob_store import BlobTooLarge
from storage.faults import StorageFaults, is_database_damaged, is_disk_full


class UploadError(Exception):
    """A request body that cannot be taken as an upload; ``status`` is the answer's code."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


log = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-Id"
# The app's storage.faults.StorageFaults, where a refused write is reported (one log line
# per episode); an app without one (the city) still answers 507.
FAULTS_STATE_KEY = "storage_faults"
DISK_FULL_DETAIL = (
    "the disk is full: nothing of this request was saved; free space on the server "
    "(ask the technician) and send it again"
)


def _body(
    status: int,
    detail: str,
    field: str | None = None,
    *,
    extra: object = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, object]]:
    content: dict[str, object] = {"status_code": status, "detail": detail}
    if field is not None:
        content["field"] = field
    if extra:
        content["extra"] = extra
    return Response(content, status_code=status, headers=headers)


def _dossier_error(_: Request, exc: DossierError) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    if isinstance(exc, NotFound):
        return _body(404, str(exc))
    if isinstance(exc, ClockUnsafe):
        return _body(503, str(exc), exc.field, headers={"Retry-After": "60"})
    return _body(400, str(exc), exc.field)


def _illegal(_: Request, exc: IllegalTransition) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return _body(409, str(exc), "action")


def _forbidden(_: Request, exc: Forbidden) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return _body(403, str(exc))


def _upload(_: Request, exc: UploadError) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return _body(exc.status, str(exc), exc.field)


def _too_large(_: Request, exc: BlobTooLarge) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return _body(413, str(exc), "file")


def _not_utf8(_: Request, exc: UnicodeDecodeError) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    # Litestar's JSON decoding lets this escape as a 500; it is the client's bad body.
    return _body(400, f"the request body is not valid UTF-8 (byte {exc.start})")


_MISSING = re.compile(r"missing required field `([^`]+)`")


def _first_field(exc: ValidationException) -> str | None:
    """The input the first validation complaint is about, as a dotted path."""
    first = exc.extra[0] if isinstance(exc.extra, list) and exc.extra else None
    if not isinstance(first, dict):
        return None
    key = str(first.get("key") or "")
    key = "" if key == "data" else key  # Litestar's name for the whole body
    missing = _MISSING.search(str(first.get("message", "")))
    if missing:
        return f"{key}.{missing.group(1)}" if key else missing.group(1)
    return key or None


def _not_json(exc: BaseException) -> msgspec.DecodeError | None:
    """The msgspec error under ``exc`` if the body could not be parsed at all."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, msgspec.ValidationError):
            return None  # parsed, but the wrong shape: a validation error
        if isinstance(cause, msgspec.DecodeError):
            return cause
        cause = cause.__cause__
    return None


def _client_error(_: Request, exc: ClientException) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    # Litestar's own shape, plus ``field`` like every other 400 here, and a body that is
    # not JSON said so (msgspec alone says "Input data was truncated").
    cause = _not_json(exc)
    if cause is not None:
        return _body(400, f"the request body is not valid JSON: {cause}")
    field = _first_field(exc) if isinstance(exc, ValidationException) else None
    return _body(exc.status_code, exc.detail, field, extra=exc.extra, headers=exc.headers)


def _too_deep(request: Request, exc: RecursionError) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    # msgspec refuses to go deeper than its recursion limit while decoding a body; any
    # other RecursionError is a defect of ours.
    if "deserializing" not in str(exc):
        return _unexpected(request, exc)
    return _body(400, "the request body is nested too deeply (JSON arrays and objects)")


def _other_http(_: Request, exc: HTTPException) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return _body(exc.status_code, exc.detail, headers=exc.headers)


def _faults(request: Request) -> StorageFaults | None:  # type: ignore[type-arg]
    found = request.app.state.get(FAULTS_STATE_KEY)
    return found if isinstance(found, StorageFaults) else None


def disk_full(request: Request, exc: Exception) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    """507: a write that could not be made durable for lack of space (SQLITE_FULL, ENOSPC,
    EDQUOT). Not a defect: no traceback, one log line per episode (storage.faults)."""
    faults = _faults(request)
    if faults is not None:
        route = request.scope.get("path_template") or request.url.path
        faults.disk_full(f"http {request.method} {route}", exc)
    return _body(507, DISK_FULL_DETAIL, headers={"Retry-After": "60"})


def _storage_error(request: Request, exc: Exception) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    """SQLite and file-system errors: a full disk is 507, anything else a defect."""
    if is_disk_full(exc):
        return disk_full(request, exc)
    return _unexpected(request, exc)


def _unexpected(request: Request, exc: Exception) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    """A defect: logged once with its traceback, and an id the caller can quote to find it."""
    if is_disk_full(exc):  # raised from (or while handling) a full disk, wrapped
        return disk_full(request, exc)
    faults = _faults(request)
    if faults is not None and is_database_damaged(exc):
        faults.database_damaged(f"http {request.method} {request.url.path}", exc)
    request_id = uuid.uuid4().hex
    log.error(
        "unexpected_error request_id=%s method=%s path=%r",
        request_id,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    body = _body(500, "Internal Server Error", headers={REQUEST_ID_HEADER: request_id})
    body.content["request_id"] = request_id
    return body


HANDLERS: ExceptionHandlersMap = {
    Exception: _unexpected,
    OSError: _storage_error,
    apsw.Error: _storage_error,
    HTTPException: _other_http,
    RecursionError: _too_deep,
    ClientException: _client_error,
    UnicodeDecodeError: _not_utf8,
    DossierError: _dossier_error,
    IllegalTransition: _illegal,
    Forbidden: _forbidden,
    UploadError: _upload,
    BlobTooLarge: _too_large,
}
