"""The node's Litestar application: thin controllers over the service functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from litestar import Litestar, Request
from litestar.di import NamedDependency, Provide
from litestar.middleware import DefineMiddleware
from prometheus_client import CollectorRegistry

from node.public_lookup import NodeProgressSource
from node.runtime import NodeRuntime
from rules.actor import Actor
from rules.permissions import Operation
from web.auth.api_security import security_schemes
from web.auth.home import AccountsHome
from web.auth.middleware import AuthMiddleware
from web.auth.routes import AUTH_PAGE_HANDLERS, AUTH_TEMPLATES, expire_sessions
from web.auth.security_headers import add_security_headers
from web.health.http_metrics import (
    REGISTRY_STATE_KEY,
    HttpMetrics,
    RequestMetricsMiddleware,
    metrics,
)
from web.health.node_metrics import NodeCollector
from web.json_api.allow import complete_allow_header
from web.json_api.api_docs import docs_assets, openapi_config
from web.json_api.errors import FAULTS_STATE_KEY, HANDLERS
from web.json_api.identity import authenticated_actor
from web.node_api.dossiers import DossierController
from web.node_api.ingest import IngestController
from web.node_api.reference import ReferenceController, healthz
from web.node_api.sync_status import SyncController
from web.node_api.users import UsersController
from web.page_kit.rendering import template_config
from web.public_pages.rating_page import RatingPage
from web.public_pages.routes import LOOKUP_HANDLERS, public_dependencies
from web.public_pages.routes import TEMPLATES as PUBLIC_TEMPLATES
from web.staff_pages.error_pages import for_pages
from web.staff_pages.routes import STAFF_PAGE_HANDLERS, TEMPLATES


def create_app(
    runtime: NodeRuntime,
    *,
    on_startup: Sequence[Callable[[], object]] = (),
    on_shutdown: Sequence[Callable[[], object]] = (),
) -> Litestar:
    """``on_startup``/``on_shutdown``: background services (ingest, replication) that start
    with the app and stop with it. The app never closes ``runtime``: whoever opened it
    does (``motcua serve`` passes ``runtime.close`` as its last shutdown hook)."""

    def provide_runtime() -> NodeRuntime:
        return runtime

    def provide_actor(
        request: Request[Any, Any, Any], runtime: NamedDependency[NodeRuntime]
    ) -> Actor:
        # Takes the runtime only to be resolved after it (web.json_api.identity).
        return authenticated_actor(request)

    def provide_accounts_home() -> AccountsHome:  # Litestar wants one provider per key
        return runtime

    registry = CollectorRegistry()  # this app's own: /metrics (web.health)
    registry.register(NodeCollector(runtime))
    http_metrics = HttpMetrics(registry)
    app = Litestar(
        route_handlers=[
            DossierController,
            ReferenceController,
            IngestController,
            SyncController,
            UsersController,
            healthz,
            metrics,
            docs_assets(),
            *STAFF_PAGE_HANDLERS,
            *AUTH_PAGE_HANDLERS,
            *LOOKUP_HANDLERS,
            RatingPage,
        ],
        template_config=template_config(TEMPLATES, AUTH_TEMPLATES, PUBLIC_TEMPLATES),
        # Every route but the public ones needs a session or an API token (web.auth).
        # Every request is counted (the refused ones too); then the auth middleware.
        middleware=[
            DefineMiddleware(RequestMetricsMiddleware, metrics=http_metrics, faults=runtime.faults),
            DefineMiddleware(
                AuthMiddleware,
                accounts_home=runtime,
                # Every staff role reads dossiers: what working at the counter means.
                site_permission=Operation.READ_DOSSIERS,
            ),
        ],
        dependencies={
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "accounts_home": Provide(provide_accounts_home, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            **public_dependencies(NodeProgressSource(runtime), runtime.config.lookup),
        },
        # JSON under /api/; a failed page answers a page with the same status.
        exception_handlers=for_pages(HANDLERS),
        before_send=[complete_allow_header, add_security_headers],
        openapi_config=openapi_config(
            "motcua-edge node", security_schemes("motcua token create USER")
        ),
        on_startup=[
            _without_app(lambda: expire_sessions(runtime)),
            *(_without_app(hook) for hook in on_startup),
        ],
        on_shutdown=[_without_app(hook) for hook in on_shutdown],
        logging_config=None,  # keep the command's logging (cli.logging_setup: escaped lines)
        debug=False,
    )
    app.state[REGISTRY_STATE_KEY] = registry
    app.state[FAULTS_STATE_KEY] = runtime.faults  # a full disk's 507 is reported there
    return app


def _without_app(hook: Callable[[], object]) -> Callable[[], None]:
    """Litestar passes the app to a hook that takes any parameter; ours take none."""

    def call() -> None:
        hook()

    return call
