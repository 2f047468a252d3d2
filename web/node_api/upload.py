"""Streaming a multipart upload straight into the blob store, never whole in memory."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import anyio
import multipart
from litestar import Request

from node import dossier_service, dossier_store, file_types
from node.runtime import NodeRuntime
from rules.actor import Actor
from rules.errors import DossierError, NotFound
from rules.permissions import Operation, require
from rules.projection import DossierState
from storage.blob_store import BlobStore, IncomingBlob
from web.json_api.errors import UploadError

MAX_FIELD_BYTES = 4096
MAX_PARTS = 16  # a file and a few small fields; more is not an upload from our forms


@dataclass
class Upload:
    blob: IncomingBlob  # not yet committed: the caller commits after validating the fields
    filename: str
    mime: str
    fields: dict[str, str] = field(default_factory=dict)


def _boundary(request: Request) -> str:  # type: ignore[type-arg]
    ctype, options = multipart.parse_options_header(request.headers.get("content-type", ""))
    if ctype != "multipart/form-data" or not options.get("boundary"):
        raise UploadError("the body must be multipart/form-data with a 'file' field")
    return str(options["boundary"])


async def receive_upload(request: Request, store: BlobStore, limit: int) -> Upload:  # type: ignore[type-arg]
    """Parse the body: the part named ``file`` goes to a temporary blob, other parts are
    small text fields. On any error the partial blob is removed."""
    parser = multipart.PushMultipartParser(
        _boundary(request), max_segment_count=MAX_PARTS, strict=True
    )
    blob: IncomingBlob | None = None
    upload: Upload | None = None
    fields: dict[str, str] = {}
    current: multipart.MultipartSegment | None = None
    text = bytearray()
    head = b""
    try:
        async for chunk in request.stream():
            for item in parser.parse(chunk):
                if isinstance(item, multipart.MultipartSegment):
                    current, text = item, bytearray()
                    if item.name == "file":
                        if blob is not None:
                            raise UploadError("only one 'file' part is accepted", "file")
                        blob = store.incoming(limit)
                        name = unicodedata.normalize("NFC", item.filename or "upload")
                        upload = Upload(blob, name[:255], item.content_type or "")
                elif item is None:  # end of the current part
                    if current is not None and current.name != "file" and current.name:
                        fields[current.name] = text.decode("utf-8", errors="strict")
                    current = None
                elif current is not None and current.name == "file" and blob is not None:
                    if len(head) < file_types.HEAD_BYTES:
                        head += item[: file_types.HEAD_BYTES - len(head)]
                    blob.write(item)
                else:
                    text += item
                    if len(text) > MAX_FIELD_BYTES:
                        raise UploadError(
                            f"field {current.name if current else '?'!r} is too long",
                            current.name if current else None,
                        )
        parser.close()
    except multipart.ParserLimitReached as exc:
        if blob is not None:
            blob.abort()
        count = "segment count" in str(exc)
        reason = f"it has more than {MAX_PARTS} parts" if count else str(exc).lower()
        raise UploadError(f"the multipart body is refused: {reason}") from exc
    except multipart.MultipartError as exc:
        if blob is not None:
            blob.abort()
        raise UploadError(f"malformed multipart body: {exc}") from exc
    except UnicodeDecodeError as exc:
        if blob is not None:
            blob.abort()
        raise UploadError("a form field is not valid UTF-8") from exc
    except BaseException:
        if blob is not None:
            blob.abort()
        raise
    if upload is None:
        raise UploadError("the 'file' part is missing", "file")
    upload.mime = file_types.media_type(head, upload.mime)
    upload.fields = fields
    return upload


async def attach_upload(
    request: Request,  # type: ignore[type-arg]
    runtime: NodeRuntime,
    dossier_id: str,
    actor: Actor,
) -> DossierState:
    """The multipart upload of ``request`` stored and attached to ``dossier_id`` (the API's
    and the dossier page's one path): UploadError, BlobTooLarge, DossierError or NotFound
    with nothing kept when anything is wrong; Forbidden before a byte of the body is read."""
    require(actor, Operation.ATTACH_DOCUMENT)
    limit = runtime.config.documents.max_upload_bytes
    upload = await receive_upload(request, runtime.blobs, limit)
    try:
        if upload.blob.size == 0:
            raise UploadError("the file is empty", "file")
        role = upload.fields.get("role", "component")
        copy_kind = upload.fields.get("copy_kind", "original")
        if role not in dossier_service.ROLES:
            raise DossierError(f"role must be one of {', '.join(dossier_service.ROLES)}", "role")
        if copy_kind not in dossier_service.COPY_KINDS:
            raise DossierError(
                f"copy_kind must be one of {', '.join(dossier_service.COPY_KINDS)}", "copy_kind"
            )
        if dossier_store.load(runtime.db.read(), dossier_id) is None:
            raise NotFound(f"no dossier with id {dossier_id!r}")
        info = await anyio.to_thread.run_sync(upload.blob.commit)
    except BaseException:
        upload.blob.abort()
        raise
    state, _ = await anyio.to_thread.run_sync(
        lambda: dossier_service.attach_document(
            runtime,
            dossier_id,
            info,
            mime=upload.mime,
            role=role,
            copy_kind=copy_kind,
            filename=upload.filename,
            actor=actor,
        )
    )
    return state
