"""The city's app (Litestar): the JSON API (nodes, every commune's dossiers, indicators,
receiver) and the city's pages, behind the same log-in door as a node's (web.auth).

Controllers stay thin: they call the store or ``city_actions`` and return the node's own
views (``web.json_api.schemas``) with the owning node added. Errors use the node's handlers,
so a refused transition is 409 and a bad field is 400 with its name, as on the node; a
full disk under the SQLite store is 507 (the PostgreSQL store's faults are 503).

Access: nothing answers anonymously but ``/healthz``, ``/login``, ``/static/`` and the
handlers declared ``opt={"public": True}``; every other route needs a city role (the
``site_permission`` of ``web.auth.middleware.AuthMiddleware``), writes their own operation,
and a commune-viewer's reads are limited to its node by ``central.scope`` (another node's
answers 404, as a missing one does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Litestar, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.params import (
    FromQuery,
    JSONBody,
    PathParameter,
    QueryParameter,
)
from litestar.response import File
from prometheus_client import CollectorRegistry

from central import city_actions
from central.public_lookup import CityProgressSource
from central.runtime import CentralRuntime
from central.scope import no_such_node, node_filter, sees
from central.store import DossierQuery, StoreError
from rules import indicators
from rules.clock import from_utc_iso, to_local_iso, to_utc_iso, utc_now
from rules.errors import NotFound
from rules.permissions import Operation, require
from rules.transitions import TransitionRequest
from storage.faults import StorageFaults, is_disk_full
from web.auth.api_security import security_schemes
from web.auth.home import AccountsHome
from web.auth.middleware import AuthMiddleware
from web.auth.routes import AUTH_TEMPLATES, expire_sessions
from web.auth.security_headers import add_security_headers
from web.city_api.ratings import RatingsController
from web.city_api.views import CentralDossierOut, CentralDossierPage, NodeOut, node_out, with_node
from web.city_pages.navigation import CITY_BRAND, CITY_NAV
from web.city_pages.routes import CITY_PAGE_HANDLERS
from web.city_pages.routes import TEMPLATES as CITY_TEMPLATES
from web.health.city_health import city_health, healthz_body
from web.health.city_metrics import CityCollector
from web.health.http_metrics import (
    REGISTRY_STATE_KEY,
    HttpMetrics,
    RequestMetricsMiddleware,
    metrics,
)
from web.json_api.allow import complete_allow_header
from web.json_api.api_docs import PublicOperation, docs_assets, openapi_config
from web.json_api.errors import FAULTS_STATE_KEY, HANDLERS, disk_full
from web.json_api.identity import ACTOR_DEPENDENCY, CurrentActor
from web.json_api.params import Limit, NodeFilter, Offset, SearchQuery, TextId, parse_bound
from web.json_api.responses import errors, health_responses, writes
from web.json_api.schemas import dossier_out
from web.page_kit.rendering import template_config
from web.public_pages.routes import LOOKUP_HANDLERS, public_dependencies
from web.public_pages.routes import TEMPLATES as PUBLIC_TEMPLATES
from web.staff_pages.error_pages import ERROR_TEMPLATES, for_pages

Central = NamedDependency[CentralRuntime]
SHA256 = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{64}$")]


class NodeController(Controller):
    path = "/api/v1/nodes"
    tags = ["nodes"]  # noqa: RUF012 - Litestar reads a plain list

    @get("/", name="nodes:list", responses=errors(403, 503), sync_to_thread=True)
    def list_nodes(self, central: Central, actor: CurrentActor) -> list[NodeOut]:
        counts = central.store.dossier_counts()
        return [
            node_out(r, counts.get(r.node_id, (0, 0)))
            for r in central.store.list_nodes()
            if sees(actor, r.node_id)
        ]

    @get(
        "/{node_id:str}",
        name="nodes:get",
        responses=errors(400, 403, 404, 503),
        sync_to_thread=True,
    )
    def get_node(self, node_id: TextId, central: Central, actor: CurrentActor) -> NodeOut:
        node_filter(actor, node_id)
        row = central.store.get_node(node_id)
        if row is None:
            raise no_such_node(node_id)
        return node_out(row, central.store.dossier_counts().get(node_id, (0, 0)))


class DossierController(Controller):
    path = "/api/v1/dossiers"
    tags = ["dossiers"]  # noqa: RUF012 - Litestar reads a plain list

    @get("/", name="dossiers:list", responses=errors(400, 403, 503), sync_to_thread=True)
    def search(
        self,
        central: Central,
        actor: CurrentActor,
        node: NodeFilter = None,
        q: SearchQuery = None,
        status: Annotated[int | None, QueryParameter(ge=1, le=10)] = None,
        overdue: FromQuery[bool | None] = None,
        conflicted: FromQuery[bool | None] = None,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CentralDossierPage:
        now = utc_now()
        query = DossierQuery(
            node=node_filter(actor, node),
            q=q,
            status=status,
            received_from=parse_bound(from_, "from", end=False),
            received_to=parse_bound(to, "to", end=True),
            overdue=overdue,
            conflicted=conflicted,
            now=to_utc_iso(now),
            limit=limit,
            offset=offset,
        )
        found, total = central.store.query_dossiers(query)
        items = [with_node(dossier_out(s, now), n) for n, s in found]
        return CentralDossierPage(items, total, limit, offset)

    @get(
        "/{dossier_id:str}",
        name="dossiers:get",
        responses=errors(400, 403, 404, 503),
        sync_to_thread=True,
    )
    def get_one(
        self, dossier_id: TextId, central: Central, actor: CurrentActor
    ) -> CentralDossierOut:
        view = central.store.get_dossier(dossier_id)
        if view is None or not sees(actor, view.node_id):
            raise NotFound(f"no dossier with id {dossier_id!r}")
        return with_node(dossier_out(view.state, utc_now(), view.events), view.node_id)

    @post(
        "/{dossier_id:str}/transitions",
        name="dossiers:transition",
        responses=writes(400, 404, 409, 413, 503),
        sync_to_thread=True,
    )
    def transition(
        self,
        dossier_id: TextId,
        data: JSONBody[TransitionRequest],
        central: Central,
        actor: CurrentActor,
    ) -> CentralDossierOut:
        require(actor, Operation.CITY_TRANSITION)
        result = city_actions.transition(
            central.store,
            dossier_id,
            data,
            actor,
            central.config.office_periods(),
            utc_now(),
        )
        central.notify_down(result.node_id)
        return with_node(dossier_out(result.state, utc_now()), result.node_id)


class ReportController(Controller):
    path = "/api/v1"
    tags = ["reports"]  # noqa: RUF012 - Litestar reads a plain list

    @get("/stats", name="stats", responses=errors(400, 403, 404, 503), sync_to_thread=True)
    def stats(
        self,
        central: Central,
        actor: CurrentActor,
        node: NodeFilter = None,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
    ) -> indicators.Stats:
        start, end = parse_bound(from_, "from", end=False), parse_bound(to, "to", end=True)
        scoped = node_filter(actor, node)
        if node and central.store.get_node(node) is None:
            raise no_such_node(node)
        return indicators.compute(
            central.store.dossier_states(scoped),
            None if start is None else from_utc_iso(start),
            None if end is None else from_utc_iso(end),
            utc_now(),
        )

    @get("/receiver", name="receiver", responses=errors(403, 503), sync_to_thread=True)
    def receiver(
        self, central: Central, request: Request[Any, Any, Any], actor: CurrentActor
    ) -> dict[str, object]:
        """A commune-viewer sees its node's rejections only, and not the process's own
        counters or link state (they sum every commune)."""
        rejected: dict[str, int] = {}
        by_node: dict[str, dict[str, int]] = {}
        last: list[dict[str, object]] = []
        for r in central.store.rejection_counts():
            if not sees(actor, r.node_id):
                continue
            rejected[r.reason] = rejected.get(r.reason, 0) + r.count
            by_node.setdefault(r.node_id or "-", {})[r.reason] = r.count
            last.append(
                {
                    "node_id": r.node_id or None,
                    "reason": r.reason,
                    "count": r.count,
                    "last_at": to_local_iso(r.last_at),
                    "last_detail": r.last_detail,
                }
            )
        status = request.app.state.get("receiver_status")
        everything = actor.node_scope is None
        return {
            "rejected": dict(sorted(rejected.items())),  # every receiver, since the store began
            "rejected_by_node": by_node,
            "rejections": last,
            # this process since it started
            "process": central.handler.counters() if everything else None,
            "mqtt": status() if status is not None and everything else None,
        }

    @get(
        "/documents/{sha256:str}",
        name="documents:get",
        responses=errors(400, 403, 404, 503),
        sync_to_thread=True,
    )
    def document(self, sha256: SHA256, central: Central, actor: CurrentActor) -> File:
        scope = actor.node_scope
        if central.store.blob_size(sha256) is None or (
            scope is not None and not central.store.node_names_file(scope, sha256)
        ):
            raise NotFoundException(f"no file with SHA-256 {sha256} is held here")
        return File(
            central.blobs.path_for(sha256),
            filename=sha256,
            media_type="application/octet-stream",
            content_disposition_type="inline",
        )


@get(
    "/healthz",
    name="health",
    responses=health_responses(),
    sync_to_thread=True,
    tags=["health"],
    opt={"public": True},
    operation_class=PublicOperation,
)
def healthz(central: Central, request: Request[Any, Any, Any]) -> Response[dict[str, object]]:
    """The same snapshot as /metrics (web.health.city_health); 503 when the city cannot work."""
    health = city_health(
        central, request.app.state[FAULTS_STATE_KEY], request.app.state.get("receiver_status")
    )
    return Response(
        healthz_body(health),
        status_code=503 if health.status == "error" else 200,
        headers={"Cache-Control": "no-store"},
    )


def _store_error(request: Request[Any, Any, Any], exc: StoreError) -> Response[dict[str, object]]:
    if is_disk_full(exc):  # the SQLite store's disk: 507, as a full disk is at the node
        return disk_full(request, exc)
    return Response({"status_code": 503, "detail": str(exc)}, status_code=503)


def create_central_app(
    runtime: CentralRuntime,
    *,
    receiver_status: Callable[[], dict[str, object]] | None = None,
    on_shutdown: list[Callable[[], None]] | None = None,
) -> Litestar:
    def provide_central() -> CentralRuntime:
        return runtime

    def provide_accounts_home() -> AccountsHome:  # Litestar wants one provider per key
        return runtime

    def start() -> None:  # no parameter: Litestar would pass the app to one
        expire_sessions(runtime)

    faults = StorageFaults(runtime.data_dir)
    registry = CollectorRegistry()  # this app's own: /metrics (web.health)
    registry.register(CityCollector(runtime, faults, receiver_status))
    app = Litestar(
        route_handlers=[
            NodeController,
            DossierController,
            ReportController,
            RatingsController,
            healthz,
            metrics,
            docs_assets(),
            *CITY_PAGE_HANDLERS,
            # The citizen's public pages (public: no log-in).
            *LOOKUP_HANDLERS,
        ],
        # The city's templates first, then the log-in door's, then error.html's folder.
        template_config=template_config(
            CITY_TEMPLATES,
            AUTH_TEMPLATES,
            ERROR_TEMPLATES,
            PUBLIC_TEMPLATES,
            globals_={"brand": CITY_BRAND},
        ),
        middleware=[
            DefineMiddleware(RequestMetricsMiddleware, metrics=HttpMetrics(registry)),
            DefineMiddleware(
                AuthMiddleware, accounts_home=runtime, site_permission=Operation.VIEW_CITY
            ),
        ],
        dependencies={
            "central": Provide(provide_central, sync_to_thread=False),
            "accounts_home": Provide(provide_accounts_home, sync_to_thread=False),
            **ACTOR_DEPENDENCY,
            **public_dependencies(CityProgressSource(runtime.store), runtime.config.lookup),
        },
        # JSON under /api/; a failed page answers a page with the same status.
        exception_handlers=for_pages({**HANDLERS, StoreError: _store_error}, CITY_NAV),
        before_send=[complete_allow_header, add_security_headers],
        openapi_config=openapi_config(
            "motcua-edge city data centre", security_schemes("motcua central token create USER")
        ),
        on_startup=[start],
        on_shutdown=on_shutdown or [],
        # Leave logging as the command set it: Litestar's default moves the root logger to
        # a queue handler whose last lines are lost when uvicorn re-raises SIGTERM.
        logging_config=None,
        debug=False,
    )
    app.state["receiver_status"] = receiver_status
    app.state[REGISTRY_STATE_KEY] = registry
    app.state[FAULTS_STATE_KEY] = faults
    return app
