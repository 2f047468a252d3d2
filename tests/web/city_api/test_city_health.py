"""The city's one status interface (web.health.city_health) feeds /healthz and /metrics:
per-node lag and online state, batches applied, rejections by reason; who may read them."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from central.store import StoreError
from tests.central.fake_node import FakeNode
from tests.support.prometheus_text import samples
from web.city_api.app import create_central_app

NODE_A = "xa-an-binh"
Client = TestClient[Litestar]


def scrape(app: Any, host: str, path: str = "/metrics") -> httpx.Response:
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://city") as http:
            return await http.get(path)

    return anyio.run(get)


def test_metrics_report_each_node_batches_and_rejections(runtime: CentralRuntime) -> None:
    node = FakeNode(NODE_A)
    for _ in range(3):
        node.receive()
    runtime.handler.handle(*node.birth())  # reports 3 events
    runtime.handler.handle(*node.batch(1, 2))
    runtime.handler.handle("not/a/topic", b"")
    status = {"connected": True, "subscribed": True, "last_error": ""}
    app = create_central_app(runtime, receiver_status=lambda: status)
    response = scrape(app, "127.0.0.1")
    assert response.status_code == 200
    found = samples(response.text)
    assert found[f'motcua_city_node_online{{node_id="{NODE_A}"}}'] == 1.0
    assert found[f'motcua_city_node_lag_events{{node_id="{NODE_A}"}}'] == 1.0  # 3 told, 2 here
    assert found["motcua_city_batches_applied_total"] == 1.0
    assert found["motcua_city_events_applied_total"] == 2.0
    assert found['motcua_city_rejections_total{reason="bad_topic"}'] == 1.0
    assert found["motcua_city_receiver_subscribed"] == 1.0
    assert found["motcua_health_status"] == 0.0 and found["motcua_disk_free_bytes"] > 0
    health = scrape(app, "127.0.0.1", "/healthz").json()
    assert health["status"] == "ok" and health["nodes"] == 1 and health["reasons"] == []


def test_metrics_refuse_a_caller_off_the_machine(runtime: CentralRuntime) -> None:
    app = create_central_app(runtime)
    refused = scrape(app, "10.0.0.7")
    assert refused.status_code == 401 and "motcua_" not in refused.text
    with TestClient(app=app) as remote:  # TestClient's peer is "testclient", not loopback
        assert remote.get("/metrics").status_code == 401


def test_healthz_says_why_the_city_is_unwell(
    runtime: CentralRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = {"connected": False, "subscribed": False, "last_error": "broker: refused"}
    app = create_central_app(runtime, receiver_status=lambda: status)
    with TestClient(app=app) as client:
        body = client.get("/healthz").json()
        assert body["status"] == "degraded" and body["reasons"] == ["broker_disconnected"]
        assert body["problems"][0]["detail"] == "broker: refused"

        def unreachable() -> list[object]:
            raise StoreError("PostgreSQL: connection refused")

        monkeypatch.setattr(runtime.store, "list_nodes", unreachable)
        down = client.get("/healthz")
        assert down.status_code == 503 and "store_unreachable" in down.json()["reasons"]
