"""Domain errors to JSON responses that say what was wrong and where."""

from __future__ import annotations

from litestar import Request, Response
from litestar.types import ExceptionHandlersMap

from node.api.upload import UploadError
from node.blob_store import BlobTooLarge
from node.dossier_service import DossierError, NotFound
from node.lifecycle import IllegalTransition


def _body(status: int, detail: str, field: str | None = None) -> Response[dict[str, object]]:
    content: dict[str, object] = {"status_code": status, "detail": detail}
    if field is not None:
        content["field"] = field
    return Response(content, status_code=status)


def _dossier_error(_: Request, exc: DossierError) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    if isinstance(exc, NotFound):
        return _body(404, str(exc))
    return _body(400, str(exc), exc.field)


def _illegal(_: Request, exc: IllegalTransition) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return _body(409, str(exc), "action")


def _upload(_: Request, exc: UploadError) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return _body(exc.status, str(exc), exc.field)


def _too_large(_: Request, exc: BlobTooLarge) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return _body(413, str(exc), "file")


def _not_utf8(_: Request, exc: UnicodeDecodeError) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    # Litestar's JSON decoding lets this escape as a 500; it is the client's bad body.
    return _body(400, f"the request body is not valid UTF-8 (byte {exc.start})")


HANDLERS: ExceptionHandlersMap = {
    UnicodeDecodeError: _not_utf8,
    DossierError: _dossier_error,
    IllegalTransition: _illegal,
    UploadError: _upload,
    BlobTooLarge: _too_large,
}
