"""A full disk under the city's SQLite store (a real 24 MB tmpfs): a write through the API
answers 507 saying so, as its OpenAPI document says and as the node does, not a 503 "the
store is unavailable"; nothing is written, reads still answer, and the write succeeds once
space is freed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from central.sqlite_store import SqliteCentralStore
from rules.actor import Role
from tests.central.fake_node import FakeNode
from tests.support.city_client import city_token
from tests.support.city_fixtures import make_runtime
from tests.support.small_disk import fill
from web.city_api.app import create_central_app

NODE = "xa-an-binh"


@pytest.fixture
def city_on_small_disk(small_disk: Path) -> Iterator[CentralRuntime]:
    store = SqliteCentralStore(small_disk / "central.sqlite3")
    store.migrate()
    try:
        yield from make_runtime(store, small_disk)
    finally:
        store.close()


def test_a_full_disk_at_the_city_is_507_and_writes_nothing(
    city_on_small_disk: CentralRuntime, small_disk: Path
) -> None:
    rt = city_on_small_disk
    node = FakeNode(NODE)
    dossier = node.receive()
    rt.handler.handle(*node.birth())
    rt.handler.handle(*node.batch(1, len(node.log)))
    token = city_token(rt, "so-tu-phap", Role.ADMIN)
    with TestClient(app=create_central_app(rt)) as api:
        api.headers["Authorization"] = f"Bearer {token}"
        documented = api.get("/schema/openapi.json").json()
        transitions = documented["paths"]["/api/v1/dossiers/{dossier_id}/transitions"]["post"]
        assert "507" in transitions["responses"]
        # An empty WAL: the next commit must grow a file, so it meets the full disk.
        checkpoint = apsw.Connection(str(small_disk / "central.sqlite3"))
        [(busy, wal_pages, _)] = checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        checkpoint.close()
        assert (busy, wal_pages) == (0, 0), "the WAL could not be emptied"
        filler = fill(small_disk)

        refused = api.post(f"/api/v1/dossiers/{dossier}/transitions", json={"action": "start"})
        assert refused.status_code == 507, refused.text
        assert "disk is full" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "60"
        assert api.get(f"/api/v1/dossiers/{dossier}").json()["status"] == 2  # nothing written
        assert rt.store.down_events(NODE, 0, 10) == []

        filler.unlink()
        acted = api.post(f"/api/v1/dossiers/{dossier}/transitions", json={"action": "start"})
        assert acted.status_code == 201, acted.text
        moved = api.get(f"/api/v1/dossiers/{dossier}").json()["status"]
        assert moved == acted.json()["status"] != 2
        assert len(rt.store.down_events(NODE, 0, 10)) == 1
