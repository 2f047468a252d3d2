"""Reception (``/dossiers/new``): choose the procedure, the applicant and proxy, tick the
components, see the appointment, save through ``dossier_service.receive``.

Plain forms first: searching a procedure and saving both post the one form (the search
button re-renders it with the matches, writing nothing). htmx, where it runs, fills the
procedure matches and the appointment preview in place from the two GET fragments.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from node import dossier_service, reference_data
from node.appointments import DuePreview, preview_due
from node.runtime import NodeRuntime
from rules.actor import Actor
from rules.clock import utc_now
from rules.errors import DossierError
from web.json_api.identity import CurrentActor
from web.json_api.params import NO_CONTROL_CHARACTERS
from web.page_kit.request_context import page_translator
from web.staff_pages.navigation import staff_page
from web.staff_pages.page_errors import explain
from web.staff_pages.reception_form import (
    CHANNEL_LABELS,
    TEXT_FIELDS,
    ReceptionInput,
    read_form,
    to_request,
)

Runtime = NamedDependency[NodeRuntime]
Code = Annotated[str, QueryParameter(max_length=50, pattern=NO_CONTROL_CHARACTERS)]
Query = Annotated[str, QueryParameter(max_length=200, pattern=NO_CONTROL_CHARACTERS)]
CHOICES = 15


class ReceptionPage(Controller):
    include_in_schema = False
    path = "/dossiers/new"

    @get("/", name="pages:reception", sync_to_thread=True)
    def form(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        procedure_code: Code = "",
    ) -> Template:
        values = dict.fromkeys(TEXT_FIELDS, "") | {"channel": "in_person"}
        values["procedure_code"] = procedure_code
        return _render(request, runtime, actor, ReceptionInput(values, []), fresh=True)

    @post("/", name="pages:reception_save")
    async def save(
        self, request: Request[Any, Any, Any], runtime: Runtime, actor: CurrentActor
    ) -> Template | Redirect:
        form = await request.form()
        data = read_form(form)
        if form.get("intent") == "search":  # the plain-form procedure search: nothing saved
            return _render(request, runtime, actor, data)
        req, errors = to_request(data)
        translate = page_translator(request)
        if req is None:
            shown = {k: translate(v) for k, v in errors.items()}
            return _render(request, runtime, actor, data, errors=shown, status_code=400)
        try:
            state = await anyio.to_thread.run_sync(dossier_service.receive, runtime, req, actor)
        except DossierError as exc:
            field, message = explain(exc, translate)
            return _render(request, runtime, actor, data, errors={field: message}, status_code=400)
        return Redirect(f"/dossiers/{state.id}?received=1", status_code=303)

    @get("/procedures", name="pages:reception_procedures", sync_to_thread=True)
    def procedures(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        procedure_q: Query = "",
        procedure_code: Code = "",
    ) -> Template:
        """The matching procedures as radio buttons (an htmx fragment)."""
        return staff_page(
            request,
            "_procedure_choices.html",
            actor=actor,
            choices=_choices(runtime, procedure_q, procedure_code),
            chosen=procedure_code,
        )

    @get("/details", name="pages:reception_details", sync_to_thread=True)
    def details(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        procedure_code: Code = "",
        channel: Code = "in_person",
    ) -> Template:
        """The chosen procedure's checklist and the appointment it would get now."""
        preview, error = _preview(runtime, procedure_code, channel, request)
        return staff_page(
            request,
            "_procedure_details.html",
            actor=actor,
            preview=preview,
            preview_error=error,
            ticked=None,
        )


def _choices(runtime: NodeRuntime, query: str, chosen: str) -> list[reference_data.Procedure]:
    conn = runtime.db.read()
    found = reference_data.search_procedures(conn, query, CHOICES)
    current = runtime.reference.procedure(conn, chosen) if chosen else None
    if current is None:
        return found
    return [current, *(p for p in found if p.code != current.code)]


def _preview(
    runtime: NodeRuntime, code: str, channel: str, request: Request[Any, Any, Any]
) -> tuple[DuePreview | None, str]:
    if not code:
        return None, ""
    try:
        return preview_due(runtime, code, channel, utc_now()), ""
    except DossierError as exc:
        return None, explain(exc, page_translator(request))[1]


def _render(
    request: Request[Any, Any, Any],
    runtime: NodeRuntime,
    actor: Actor,
    data: ReceptionInput,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    fresh: bool = False,
) -> Template:
    values = data.values
    preview, preview_error = _preview(runtime, values["procedure_code"], values["channel"], request)
    return staff_page(
        request,
        "reception.html",
        actor=actor,
        status_code=status_code,
        values=values,
        errors=errors or {},
        choices=_choices(runtime, values["procedure_q"], values["procedure_code"]),
        chosen=values["procedure_code"],
        channels=CHANNEL_LABELS,
        preview=preview,
        preview_error=preview_error,
        # A checklist shown for another procedure (or none) starts all ticked.
        ticked=None
        if fresh or values["details_for"] != values["procedure_code"]
        else data.components,
    )
