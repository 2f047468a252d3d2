"""The dossier list (``/``, ``/dossiers``, ``/dossiers.csv``): search, filters, sort, paging."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Response, Template

from node import dossier_store, reference_data
from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES
from rules.clock import OFFICE_TZ, utc_now
from rules.lifecycle import Status
from web.json_api.identity import CurrentActor
from web.page_kit.request_context import page_translator
from web.staff_pages.dossier_csv import CSV_LIMIT, dossiers_csv
from web.staff_pages.list_filters import (
    DUE_LABELS,
    LIST_QUERY,
    SORT_LABELS,
    ListQuery,
    row_mark,
)
from web.staff_pages.navigation import staff_page

Runtime = NamedDependency[NodeRuntime]
Filters = NamedDependency[ListQuery]
PAGE_SIZE = 50


class DossierListPage(Controller):
    include_in_schema = False
    dependencies = LIST_QUERY

    @get("/", name="pages:home")
    async def home(self) -> Redirect:
        return Redirect("/dossiers", status_code=303)

    @get("/dossiers", name="pages:dossiers", sync_to_thread=True)
    def list_dossiers(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        filters: Filters,
    ) -> Template:
        now = utc_now()
        conn = runtime.db.read()
        states, total = dossier_store.query(conn, filters.to_filter(now, PAGE_SIZE))
        return staff_page(
            request,
            "dossier_list.html",
            actor=actor,
            rows=[(s, row_mark(s, now)) for s in states],
            total=total,
            limit=PAGE_SIZE,
            offset=filters.offset,
            f=filters,
            query=filters.params,
            statuses=list(Status),
            procedures=reference_data.list_procedures(conn),
            sort_labels=SORT_LABELS,
            due_labels=DUE_LABELS,
            today=now.astimezone(OFFICE_TZ).strftime("%d/%m/%Y"),
        )

    @get("/dossiers.csv", name="pages:dossiers_csv", sync_to_thread=True)
    def list_csv(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        filters: Filters,
    ) -> Response[bytes]:
        """The same filters as the page, every match (up to CSV_LIMIT), the page's columns."""
        if not actor.roles & STAFF_ROLES:
            raise PermissionDeniedException("the dossier list is for staff only")
        now = utc_now()
        f = filters.to_filter(now, CSV_LIMIT)
        states, _ = dossier_store.query(runtime.db.read(), msgspec.structs.replace(f, offset=0))
        translate = page_translator(request)
        return Response(
            dossiers_csv(states, now, translate),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="ho-so.csv"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
