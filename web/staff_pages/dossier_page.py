"""The dossier page (``/dossiers/{id}``): its state, timeline, documents, the actions this
user may take, upload, and the forms to print. Writes go through the node's services."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.response import File, Redirect, Template

from node import dossier_service
from node.document_files import document_file
from node.runtime import NodeRuntime
from rules.actor import Actor
from rules.clock import utc_now
from rules.errors import DossierError, NotFound
from rules.lifecycle import Action, IllegalTransition
from rules.permissions import allowed_actions, may
from rules.transitions import TransitionRequest
from storage.blob_store import BlobTooLarge
from web.json_api.errors import UploadError
from web.json_api.identity import CurrentActor
from web.json_api.stored_files import INLINE_TYPES, stored_file
from web.node_api.upload import attach_upload
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator
from web.staff_pages.dossier_actions import (
    ACTION_LABELS,
    FORM_LABELS,
    applicable_forms,
    needs_note,
)
from web.staff_pages.navigation import staff_page
from web.staff_pages.page_errors import FORBIDDEN, explain
from web.staff_pages.page_input import parse_local_datetime
from web.staff_pages.timeline import timeline

Runtime = NamedDependency[NodeRuntime]
# Dossier ids are UUIDs; anything else (``../../etc/passwd``) is refused before any lookup.
DossierId = Annotated[str, PathParameter(pattern=r"^[0-9A-Za-z-]{1,64}$")]
Sha256 = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{64}$")]
NOTICES = {
    "received": vi(
        "Đã tiếp nhận hồ sơ. Giấy tiếp nhận và hẹn trả kết quả (mẫu 01) mở bên dưới để in."
    ),
    "uploaded": vi("Đã tải lên tài liệu."),
}


class DossierPage(Controller):
    include_in_schema = False
    path = "/dossiers/{dossier_id:str}"

    @get("/", name="pages:dossier", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        dossier_id: DossierId,
        runtime: Runtime,
        actor: CurrentActor,
        done: Annotated[str, QueryParameter(max_length=40)] = "",
        received: FromQuery[bool] = False,
        uploaded: FromQuery[bool] = False,
    ) -> Template:
        translate = page_translator(request)
        notice = ""
        if done in {str(a) for a in Action}:
            notice = f"{translate(vi('Đã thực hiện'))}: {translate(ACTION_LABELS[Action(done)])}."
        elif received or uploaded:
            notice = translate(NOTICES["received" if received else "uploaded"])
        try:
            return _render(request, runtime, actor, dossier_id, notice=notice, receipt=received)
        except NotFound:
            return staff_page(request, "not_found.html", actor=actor, status_code=404)

    @post("/actions", name="pages:dossier_action")
    async def act(
        self,
        request: Request[Any, Any, Any],
        dossier_id: DossierId,
        runtime: Runtime,
        actor: CurrentActor,
    ) -> Template | Redirect:
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ("action", "note", "due_at")}
        translate = page_translator(request)
        action = next((a for a in Action if str(a) == values["action"]), None)
        # The role decides here; whether the status allows it, the service (409 below).
        if action is None or not may(actor, action):
            errors = {"action": translate(FORBIDDEN)}
            return _render(request, runtime, actor, dossier_id, 403, errors, values)
        try:
            due_at = parse_local_datetime(values["due_at"], "due_at")
            req = TransitionRequest(action=action, note=values["note"][:2000], due_at=due_at)
            await anyio.to_thread.run_sync(
                dossier_service.transition, runtime, dossier_id, req, actor
            )
        except (DossierError, IllegalTransition) as exc:
            if isinstance(exc, NotFound):
                raise
            field, message = explain(exc, translate)
            status = 409 if isinstance(exc, IllegalTransition) else 400
            return _render(request, runtime, actor, dossier_id, status, {field: message}, values)
        return Redirect(f"/dossiers/{dossier_id}?done={action}", status_code=303)

    @post("/documents", name="pages:dossier_upload", request_max_body_size=None)
    async def upload(
        self,
        request: Request[Any, Any, Any],
        dossier_id: DossierId,
        runtime: Runtime,
        actor: CurrentActor,
    ) -> Template | Redirect:
        try:
            await attach_upload(request, runtime, dossier_id, actor)
        except NotFound:
            raise
        except (UploadError, BlobTooLarge, DossierError) as exc:
            field, message = explain(exc, page_translator(request))
            status = 413 if isinstance(exc, BlobTooLarge) else getattr(exc, "status", 400)
            errors = {f"upload.{field}": message}
            return _render(request, runtime, actor, dossier_id, status, errors)
        return Redirect(f"/dossiers/{dossier_id}?uploaded=1", status_code=303)

    @get("/documents/{sha256:str}", name="pages:dossier_document", sync_to_thread=True)
    def document(
        self,
        dossier_id: DossierId,
        sha256: Sha256,
        runtime: Runtime,
        download: FromQuery[bool] = False,
    ) -> File:
        """The stored bytes, typed as sniffed at upload; shown inline only for PDF and the
        image types a browser draws, never guessed by the browser (nosniff)."""
        ref, path = document_file(runtime, dossier_id, sha256)
        filename = ref.filename or f"{sha256[:12]}.bin"
        return stored_file(path, ref.mime, filename, download=download)


def _render(
    request: Request[Any, Any, Any],
    runtime: NodeRuntime,
    actor: Actor,
    dossier_id: str,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    *,
    notice: str = "",
    receipt: bool = False,
) -> Template:
    state, events = dossier_service.get(runtime, dossier_id, actor)
    translate = page_translator(request)
    actions = allowed_actions(actor, state)
    return staff_page(
        request,
        "dossier.html",
        actor=actor,
        status_code=status_code,
        d=state,
        lines=timeline(events, translate),
        actions=[(a, ACTION_LABELS[a], needs_note(a)) for a in actions],
        forms=[(n, FORM_LABELS[n]) for n in applicable_forms(state)],
        inline_types=INLINE_TYPES,
        errors=errors or {},
        values=values or {},
        notice=notice,
        receipt=receipt and "01" in applicable_forms(state),
        now=utc_now(),
    )
