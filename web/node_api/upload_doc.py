"""The upload's request body, for the OpenAPI document.

The handler streams the multipart body itself (``upload.receive_upload``) instead of
letting Litestar parse it, so Litestar cannot describe it: this operation says what the
parser accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from node.dossier_service import COPY_KINDS, ROLES
from web.node_api.upload import MAX_FIELD_BYTES

_FORM = Schema(
    type=OpenAPIType.OBJECT,
    required=["file"],
    properties={
        "file": Schema(
            type=OpenAPIType.STRING,
            format="binary",  # type: ignore[arg-type]
            description="The document; its type is read from its bytes. Not empty, at most"
            " the node's documents.max_upload_bytes (413 beyond).",
        ),
        "role": Schema(type=OpenAPIType.STRING, enum=list(ROLES), default="component"),
        "copy_kind": Schema(type=OpenAPIType.STRING, enum=list(COPY_KINDS), default="original"),
    },
    additional_properties=Schema(type=OpenAPIType.STRING, max_length=MAX_FIELD_BYTES),
    description="At most 16 parts; one 'file' part; other fields at most"
    f" {MAX_FIELD_BYTES} bytes of UTF-8.",
)


@dataclass
class UploadOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"multipart/form-data": OpenAPIMediaType(schema=_FORM)}, required=True
        )
