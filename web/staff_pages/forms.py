"""The printable forms 01-05 of a dossier (``/dossiers/{id}/forms/01`` to ``/05``).

Each is drawn from the dossier's events (``rules.printed_forms``), so a reprint is the
same page; a form that does not apply to the dossier is a 404. Form 01 of a dossier
received before lookup PINs existed issues its PIN first (``ensure_lookup_pin``: one event,
once; a repeated GET writes nothing).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Template

from node import dossier_service, event_log
from node.runtime import NodeRuntime
from rules.errors import NotFound
from rules.permissions import Operation, require
from rules.printed_forms import FormNumber, PrintedForm, printed_form
from web.json_api.identity import CurrentActor
from web.json_api.params import TextId
from web.page_kit.rendering import page
from web.staff_pages.form_view import (
    CHANNELS,
    form_view,
    keep_places,
    long_date,
    long_moment,
    time_limit,
)

Runtime = NamedDependency[NodeRuntime]

FormParam = Annotated[str, PathParameter(max_length=10)]
TEMPLATES = {number: f"form_{number}.html" for number in FormNumber}
_KNOWN = ", ".join(TEMPLATES)


def _form(runtime: NodeRuntime, dossier_id: str, number: FormNumber) -> PrintedForm:
    records = event_log.for_stream(runtime.db.read(), dossier_id)
    if not records:
        raise NotFound(f"no dossier with id {dossier_id!r}")
    form = printed_form(records, number)
    if form is None:
        raise NotFound(f"form {number} does not apply to dossier {dossier_id!r}")
    return form


class FormPages(Controller):
    include_in_schema = False

    # no-store: form 01 carries the citizen's PIN, and office PCs are shared.
    @get(
        "/dossiers/{dossier_id:str}/forms/{number:str}",
        name="pages:form",
        sync_to_thread=True,
        cache_control=CacheControlHeader(no_store=True),
    )
    def show(
        self,
        request: Request[Any, Any, Any],
        dossier_id: TextId,
        number: FormParam,
        runtime: Runtime,
        actor: CurrentActor,
    ) -> Template:
        # The forms carry the citizen's name, ID and PIN: whoever may not read the dossier
        # may not print it either (the same rule as the dossier page's service).
        require(actor, Operation.READ_DOSSIERS)
        if number not in TEMPLATES:
            raise NotFound(f"no form {number[:10]!r}: the forms are {_KNOWN}")
        which = FormNumber(number)
        form = _form(runtime, dossier_id, which)
        if which is FormNumber.RECEIPT and not form.lookup_pin:
            dossier_service.ensure_lookup_pin(runtime, dossier_id, actor)
            form = _form(runtime, dossier_id, which)
        return page(
            request,
            TEMPLATES[which],
            actor=actor,
            view=form_view(form, runtime.config.office, str(request.base_url)),
            s=form.state,
            long_date=long_date,
            long_moment=long_moment,
            time_limit=time_limit,
            keep_places=keep_places,
            channels=CHANNELS,
        )
