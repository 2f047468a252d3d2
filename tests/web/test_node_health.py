"""The node's one status interface (web.health.node_health) feeds /healthz, /metrics and the
sync page: one alarm raised shows in all three. /metrics: who may read it, and its labels
stay bounded (route templates, never raw paths)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node import event_log
from node.runtime import NodeRuntime
from rules.actor import Role
from storage.faults import FaultState
from tests.node.helpers import create
from tests.support.accounts import api_client
from tests.support.prometheus_text import samples
from tests.support.staff_client import StaffClientFactory
from web.health import node_health as node_health_mod
from web.health.node_health import node_health
from web.node_api.app import create_app

Client = TestClient[Litestar]


@pytest.fixture
def admin(runtime: NodeRuntime) -> Iterator[Client]:
    with api_client(runtime, "quan-tri", Role.ADMIN) as client:
        yield client


def test_healthz_keeps_its_fields_and_says_ok(client: Client, runtime: NodeRuntime) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["reasons"] == [] and body["problems"] == []
    assert body["node_id"] == runtime.node_id
    assert body["events"] == event_log.head_seq(runtime.db.read(), runtime.node_id) > 0
    assert body["agency_code"] == runtime.config.node.agency_code
    assert body["schema"] and isinstance(body["calendar_warnings"], list)
    assert body["disk"]["free_bytes"] > 0 and body["disk"]["full"] is False


def test_a_sync_alarm_shows_in_healthz_metrics_and_the_sync_page(
    runtime: NodeRuntime, admin: Client, staff_client: StaffClientFactory
) -> None:
    with runtime.db.write() as conn:  # what the link records when the city's log differs
        conn.execute(
            "INSERT INTO sync_link (key, value) VALUES ('diverged', 'seq 3 differs at the city')"
        )
    health = admin.get("/healthz")
    assert health.status_code == 200  # degraded: the office still works on its own
    assert health.json()["status"] == "degraded"
    assert health.json()["reasons"] == ["log_diverged"]
    assert health.json()["problems"][0]["detail"] == "seq 3 differs at the city"
    found = samples(admin.get("/metrics").text)
    assert found["motcua_health_status"] == 1.0
    assert found['motcua_sync_alarm{code="log_diverged"}'] == 1.0
    assert found['motcua_health_problem{code="log_diverged",severity="degraded"}'] == 1.0
    page = staff_client(Role.RECEPTION).get("/sync").text
    assert 'data-alarm="log_diverged"' in page and "seq 3 differs at the city" in page


def test_a_full_disk_is_an_error_in_every_door(
    runtime: NodeRuntime, admin: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = runtime.faults.state()
    full = FaultState(
        disk=state.disk,
        disk_full=True,
        disk_low=False,
        disk_full_since="2026-01-05T02:00:00Z",
        disk_full_where="http POST /api/v1/dossiers",
        disk_full_episodes=1,
        refused_writes=3,
        database_damaged="",
    )
    monkeypatch.setattr(runtime.faults, "state", lambda: full)
    health = admin.get("/healthz")
    assert health.status_code == 503 and health.json()["reasons"] == ["disk_full"]
    found = samples(admin.get("/metrics").text)
    assert found["motcua_health_status"] == 2.0 and found["motcua_disk_full"] == 1.0
    assert found["motcua_disk_refused_writes_total"] == 3.0
    assert [p.code for p in node_health(runtime).problems] == ["disk_full"]


def test_a_damaged_database_is_reported_not_raised(
    runtime: NodeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import apsw

    def damaged(rt: NodeRuntime) -> None:
        raise apsw.CorruptError("database disk image is malformed")

    monkeypatch.setattr(node_health_mod, "sync_status", damaged)
    health = node_health(runtime)
    assert health.status == "error" and [p.code for p in health.problems] == ["database_damaged"]
    assert runtime.faults.state().database_damaged == "database disk image is malformed"


def test_metrics_reports_the_node_from_the_status_interface(
    runtime: NodeRuntime, client: Client
) -> None:
    admin = client  # every staff role: receives, and may read metrics as the admin
    dossier = create(admin)
    assert admin.get(f"/api/v1/dossiers/{dossier['id']}").status_code == 200
    assert admin.get("/api/v1/dossiers/no-such-dossier").status_code == 404
    response = admin.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    route = "/api/v1/dossiers/{dossier_id}"
    assert found[f'motcua_http_requests_total{{method="GET",route="{route}",status="200"}}'] == 1
    assert found[f'motcua_http_requests_total{{method="GET",route="{route}",status="404"}}'] == 1
    assert f'motcua_http_request_duration_seconds_count{{method="GET",route="{route}"}}' in found
    assert not [k for k in found if "no-such-dossier" in k or dossier["id"] in k]
    head = event_log.head_seq(runtime.db.read(), runtime.node_id)
    assert found["motcua_events_head_seq"] == head
    assert found['motcua_sync_pending{lane="events"}'] == head  # no city: nothing acked
    assert found['motcua_sync_link{state="off"}'] == 1.0
    assert found["motcua_ingest_unfiled"] == 0.0 and found["motcua_ingest_quarantined"] == 0.0
    assert found["motcua_disk_free_bytes"] > 0 and found["motcua_disk_full"] == 0.0
    years = node_health(runtime).calendar_years
    assert years and found["motcua_calendar_years_loaded"] == len(years)
    assert found[f'motcua_calendar_year_loaded{{year="{years[0]}"}}'] == 1.0


def test_metrics_refuses_the_anonymous_and_who_may_not(runtime: NodeRuntime) -> None:
    with TestClient(app=create_app(runtime)) as anonymous:
        refused = anonymous.get("/metrics")
        assert refused.status_code == 401 and "motcua_" not in refused.text
        assert refused.headers["www-authenticate"].startswith("Bearer")
    with api_client(runtime, "tiep-nhan", Role.RECEPTION) as reception:
        refused = reception.get("/metrics")
        assert refused.status_code == 403 and "may not read metrics" in refused.json()["detail"]


def test_metrics_answers_a_scraper_on_the_loopback_address(runtime: NodeRuntime) -> None:
    async def scrape(client_host: str) -> httpx.Response:
        app: Any = create_app(runtime)  # httpx types ASGI apps more narrowly than Litestar
        transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as http:
            return await http.get("/metrics")

    local = anyio.run(scrape, "127.0.0.1")
    assert local.status_code == 200 and "motcua_disk_free_bytes" in local.text
    assert anyio.run(scrape, "::1").status_code == 200
    assert anyio.run(scrape, "192.168.1.20").status_code == 401
