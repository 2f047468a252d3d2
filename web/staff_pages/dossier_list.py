"""The dossier list (``/``, ``/dossiers``): search and paging over the node's dossiers."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from node import dossier_store
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from storage.dossier_rows import DossierFilter
from web.json_api.identity import CurrentActor
from web.staff_pages.navigation import staff_page

Runtime = NamedDependency[NodeRuntime]
PAGE_SIZE = 50


class DossierListPage(Controller):
    include_in_schema = False

    @get("/", name="pages:home")
    async def home(self) -> Redirect:
        return Redirect("/dossiers", status_code=303)

    @get("/dossiers", name="pages:dossiers", sync_to_thread=True)
    def list_dossiers(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        q: Annotated[str, QueryParameter(max_length=200)] = "",
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        now = utc_now()
        f = DossierFilter(q=q.strip() or None, now=to_utc_iso(now), limit=PAGE_SIZE, offset=offset)
        states, total = dossier_store.query(runtime.db.read(), f)

        def query(**changes: object) -> str:
            params: dict[str, object] = {"q": q, "offset": offset}
            params.update(changes)
            return urlencode({k: v for k, v in params.items() if v not in ("", 0, None)})

        return staff_page(
            request,
            "dossier_list.html",
            actor=actor,
            dossiers=states,
            total=total,
            limit=PAGE_SIZE,
            offset=offset,
            q=q,
            query=query,
        )
