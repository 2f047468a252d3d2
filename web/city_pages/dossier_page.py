"""A dossier at the city (``/dossiers/{id}``): its state, timeline and documents, and the
transition form for a user who may append one (``Operation.CITY_TRANSITION``).

A dossier of a node outside the viewer's scope is the same 404 as one that does not exist.
Files are always downloads (``application/octet-stream``, sandboxed): no citizen's file is
drawn on the city's origin. A transition goes through ``central.city_actions``, as the JSON
API's does, and flows down to the commune.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import File, Redirect, Template

from central import city_actions
from central.runtime import CentralRuntime
from central.scope import sees
from central.store import DossierView
from rules.actor import Actor
from rules.clock import utc_now
from rules.errors import DossierError, NotFound
from rules.lifecycle import TRANSITIONS, Action, IllegalTransition, Status
from rules.permissions import Operation, may, require
from rules.transitions import TransitionRequest
from web.city_pages.navigation import city_page
from web.json_api.identity import CurrentActor
from web.json_api.stored_files import stored_file
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator
from web.staff_pages.dossier_actions import ACTION_LABELS, needs_note
from web.staff_pages.page_errors import FORBIDDEN, explain
from web.staff_pages.page_input import parse_local_datetime
from web.staff_pages.timeline import timeline

Central = NamedDependency[CentralRuntime]
# Dossier ids are UUIDs; anything else (``../../etc/passwd``) is refused before any lookup.
DossierId = Annotated[str, PathParameter(pattern=r"^[0-9A-Za-z-]{1,64}$")]
Sha256 = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{64}$")]
MAX_NOTE = 2000
NOTE_TOO_LONG = vi("Lý do tối đa 2000 ký tự.")
NOT_HELD = vi("Tệp này chưa về đến trung tâm dữ liệu; thử lại sau khi xã/phường gửi lên.")


def visible_dossier(central: CentralRuntime, actor: Actor, dossier_id: str) -> DossierView:
    """The dossier, if it exists and the actor's scope covers its node; NotFound otherwise
    (the same answer either way, so a commune-viewer learns nothing of other communes)."""
    view = central.store.get_dossier(dossier_id)
    if view is None or not sees(actor, view.node_id):
        raise NotFound(f"no dossier with id {dossier_id!r}")
    return view


def city_actions_for(actor: Actor, status: int) -> list[Action]:
    """The transitions the city may append to a dossier at ``status``, for this actor."""
    if not may(actor, Operation.CITY_TRANSITION):
        return []
    return [a for a, (sources, _) in TRANSITIONS.items() if Status(status) in sources]


class CityDossierPage(Controller):
    include_in_schema = False
    path = "/dossiers/{dossier_id:str}"

    @get("/", name="city:dossier", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        dossier_id: DossierId,
        central: Central,
        actor: CurrentActor,
        done: Annotated[str, QueryParameter(max_length=40)] = "",
    ) -> Template:
        require(actor, Operation.VIEW_CITY)
        translate = page_translator(request)
        notice = ""
        if done in {str(a) for a in Action}:
            notice = f"{translate(vi('Đã thực hiện'))}: {translate(ACTION_LABELS[Action(done)])}."
        return _render(request, central, actor, dossier_id, notice=notice)

    @post("/transitions", name="city:dossier_transition")
    async def transition(
        self,
        request: Request[Any, Any, Any],
        dossier_id: DossierId,
        central: Central,
        actor: CurrentActor,
    ) -> Template | Redirect:
        require(actor, Operation.VIEW_CITY)
        await anyio.to_thread.run_sync(visible_dossier, central, actor, dossier_id)
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ("action", "note", "due_at")}
        translate = page_translator(request)
        action = next((a for a in Action if str(a) == values["action"]), None)
        if not may(actor, Operation.CITY_TRANSITION):
            errors = {"action": translate(FORBIDDEN)}
            return _render(request, central, actor, dossier_id, 403, errors, values)
        if action is None:
            errors = {"action": f"{translate(vi('Không có thao tác'))} {values['action'][:40]!r}"}
            return _render(request, central, actor, dossier_id, 400, errors, values)
        if len(values["note"]) > MAX_NOTE:
            errors = {"note": translate(NOTE_TOO_LONG)}
            return _render(request, central, actor, dossier_id, 400, errors, values)
        try:
            due_at = parse_local_datetime(values["due_at"], "due_at")
            req = TransitionRequest(action=action, note=values["note"], due_at=due_at)
            result = await anyio.to_thread.run_sync(
                lambda: city_actions.transition(
                    central.store,
                    dossier_id,
                    req,
                    actor,
                    central.config.office_periods(),
                    utc_now(),
                )
            )
        except NotFound:
            raise
        except (DossierError, IllegalTransition) as exc:
            field, message = explain(exc, translate)
            status = 409 if isinstance(exc, IllegalTransition) else 400
            return _render(request, central, actor, dossier_id, status, {field: message}, values)
        central.notify_down(result.node_id)
        return Redirect(f"/dossiers/{dossier_id}?done={action}", status_code=303)

    @get("/documents/{sha256:str}", name="city:dossier_document", sync_to_thread=True)
    def document(
        self, dossier_id: DossierId, sha256: Sha256, central: Central, actor: CurrentActor
    ) -> File:
        """The file as a download only, whatever its type (see the module docstring)."""
        require(actor, Operation.VIEW_CITY)
        view = visible_dossier(central, actor, dossier_id)
        ref = next((d for d in view.state.documents if d.sha256 == sha256), None)
        if ref is None:
            raise NotFound(f"dossier {dossier_id!r} has no file {sha256}")
        if central.store.blob_size(sha256) is None:
            raise NotFound(f"the file {sha256} has not reached the city yet")
        filename = ref.filename or f"{sha256[:12]}.bin"
        return stored_file(
            central.blobs.path_for(sha256), "application/octet-stream", filename, download=True
        )


def _render(
    request: Request[Any, Any, Any],
    central: CentralRuntime,
    actor: Actor,
    dossier_id: str,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    *,
    notice: str = "",
) -> Template:
    view = visible_dossier(central, actor, dossier_id)
    translate = page_translator(request)
    actions = city_actions_for(actor, view.state.status)
    held = {d.sha256 for d in view.state.documents if central.store.blob_size(d.sha256)}
    return city_page(
        request,
        "city_dossier.html",
        actor=actor,
        status_code=status_code,
        d=view.state,
        node_id=view.node_id,
        lines=timeline(view.events, translate),
        actions=[(a, ACTION_LABELS[a], needs_note(a)) for a in actions],
        held=held,
        errors=errors or {},
        values=values or {},
        notice=notice,
        not_held=translate(NOT_HELD),
        now=utc_now(),
    )
