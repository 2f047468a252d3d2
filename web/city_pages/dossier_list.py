"""The city's dossier list across communes (``/dossiers``) and its CSV (``/dossiers.csv``).

Both read the same search (``dossier_search``) and see only what the viewer's scope allows:
a commune-viewer asking for another node gets the same 404 as for a node that does not exist.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Template

from central.runtime import CentralRuntime
from central.store import DossierQuery
from rules.clock import OFFICE_TZ, utc_now
from rules.errors import DossierError, NotFound
from rules.lifecycle import Status
from rules.permissions import Operation, may, require
from web.city_pages.dossier_csv import CSV_LIMIT, city_dossiers_csv
from web.city_pages.dossier_search import CITY_SEARCH, CitySearch
from web.city_pages.navigation import city_page
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator
from web.staff_pages.list_filters import row_mark

Central = NamedDependency[CentralRuntime]
Search = NamedDependency[CitySearch]
PAGE_SIZE = 50
BAD_DATE = vi("Ngày không hợp lệ: nhập ngày dạng 2027-02-05, và ngày đầu trước ngày cuối.")


class CityDossierList(Controller):
    include_in_schema = False
    dependencies = CITY_SEARCH

    @get("/dossiers", name="city:dossiers", sync_to_thread=True)
    def list_dossiers(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        search: Search,
    ) -> Template:
        require(actor, Operation.VIEW_CITY)
        now = utc_now()
        errors: dict[str, str] = {}
        found: list[Any] = []
        total = 0
        try:
            query = search.to_query(actor, now, PAGE_SIZE, search.offset)
        except NotFound:
            raise  # a node outside the viewer's scope, or none: the 404 page
        except DossierError as exc:
            errors[exc.field or "from"] = page_translator(request)(BAD_DATE)
        else:
            found, total = central.store.query_dossiers(query)
        nodes = [n.node_id for n in central.store.list_nodes()]
        return city_page(
            request,
            "city_dossier_list.html",
            actor=actor,
            status_code=400 if errors else 200,
            rows=[(node_id, s, row_mark(s, now)) for node_id, s in found],
            total=total,
            limit=PAGE_SIZE,
            offset=search.offset,
            f=search,
            query=search.params,
            statuses=list(Status),
            nodes=[n for n in nodes if actor.node_scope in (None, n)],
            errors=errors,
            today=now.astimezone(OFFICE_TZ).strftime("%d/%m/%Y"),
        )

    @get("/dossiers.csv", name="city:dossiers_csv", sync_to_thread=True)
    def list_csv(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        search: Search,
    ) -> Response[bytes]:
        """The page's search, every match (up to CSV_LIMIT); personal columns only for a
        user who may export personal data."""
        require(actor, Operation.VIEW_CITY)
        now = utc_now()
        try:
            query: DossierQuery = search.to_query(actor, now, CSV_LIMIT, 0)
        except NotFound:
            raise
        except DossierError as exc:
            return Response(
                f"{exc}\n".encode(),
                status_code=400,
                media_type="text/plain; charset=utf-8",
                headers={"X-Content-Type-Options": "nosniff"},
            )
        found, _ = central.store.query_dossiers(query)
        personal = may(actor, Operation.EXPORT_PERSONAL_DATA)
        return Response(
            city_dossiers_csv(found, now, page_translator(request), personal),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="ho-so-thanh-pho.csv"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
