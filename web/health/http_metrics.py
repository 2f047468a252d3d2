"""``/metrics`` for any of our apps: the request counters, the page itself, who may read it.

Requests are counted by an ASGI middleware, per route TEMPLATE (``/api/v1/dossiers/
{dossier_id:str}``), never the raw path, so the label values stay as few as the routes. All
else is read on scrape from the status interface by a custom collector (web.health.
node_metrics, city_metrics), each app with its own registry: two apps in one process (the
tests) never mix their figures.

Who may read it: a caller whose account may READ_METRICS (the administrator; a scraper
uses an administrator's API token, ``Authorization: Bearer``), or any caller on the
loopback address (a Prometheus or an agent on the same machine: the process terminates
TLS itself, so loopback means this machine). Anyone else: 401 without a log-in, 403 with
one that may not. The figures name no citizen, but they say how busy an office is.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from rules.actor import Actor
from rules.permissions import Forbidden, Operation, require
from storage.faults import StorageFaults

REGISTRY_STATE_KEY = "metrics_registry"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
UNMATCHED = "unmatched"  # a path no route serves (Litestar answers 404 before middleware)
# Seconds: pages answer in milliseconds, an upload of a large scan in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "motcua_http_requests",
            "HTTP requests answered, by route template, method and status code",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "motcua_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            ["route", "method"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )


class RequestMetricsMiddleware:
    """Counts and times every routed request; after a write that succeeded, tells the
    storage faults (a full-disk episode is over: storage.faults.StorageFaults.wrote)."""

    def __init__(
        self, app: ASGIApp, metrics: HttpMetrics, faults: StorageFaults | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app raises through us without answering

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            method = str(scope.get("method", ""))
            method = method if method in METHODS else "other"
            route = str(scope.get("path_template") or UNMATCHED)
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route, method).observe(time.perf_counter() - started)
            if self.faults is not None and status < 400 and method not in SAFE_METHODS:
                self.faults.wrote()


def _loopback(request: Request[Any, Any, Any]) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refusal(status: int, detail: str) -> Response[dict[str, object]]:
    headers = {"WWW-Authenticate": 'Bearer realm="motcua"'} if status == 401 else {}
    return Response({"status_code": status, "detail": detail}, status_code=status, headers=headers)


def render_metrics(registry: CollectorRegistry, actor: Actor | None, loopback: bool) -> bytes:
    """The Prometheus page for a caller on the loopback address or an account that may
    READ_METRICS; Forbidden for another account, None-actor callers are refused by the
    handler (401) before this."""
    if not loopback and actor is not None:
        require(actor, Operation.READ_METRICS)
    return generate_latest(registry)


# Public to the auth middleware (it lets the request through with or without a log-in);
# the handler decides, so a loopback scraper needs no account.
@get("/metrics", name="metrics", opt={"public": True}, include_in_schema=False, sync_to_thread=True)
def metrics(request: Request[Any, Any, Any]) -> Response[Any]:
    state = request.scope.get("state", {})
    found = state.get("actor") if isinstance(state, dict) else None
    actor = found if isinstance(found, Actor) else None
    loopback = _loopback(request)
    if actor is None and not loopback:
        return _refusal(
            401,
            "/metrics is served on the loopback address, or to an account that may read "
            "metrics: send 'Authorization: Bearer TOKEN' of an administrator",
        )
    try:
        page = render_metrics(request.app.state[REGISTRY_STATE_KEY], actor, loopback)
    except Forbidden as exc:  # JSON like the 401: a scraper reads it, not a person
        return _refusal(403, str(exc))
    return Response(page, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
