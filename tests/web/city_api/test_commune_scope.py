"""A commune-viewer sees its own commune and nothing else, through every JSON route; a
viewer and a commune-viewer read but cannot act. Another commune answers 404, exactly as a
commune that does not exist, so the answer never confirms it is there. (SQLite and
PostgreSQL: the filters reach the store's queries.)"""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from central.scope import node_filter, sees
from rules.actor import Actor, Role
from rules.errors import NotFound
from sync import wire
from sync.topics import Lane
from tests.central.fake_node import FakeNode
from tests.support.city_client import token_client

OWN = "xa-an-binh"
OTHER = "phuong-hai-chau"
Client = TestClient[Litestar]


def _two_communes(runtime: CentralRuntime) -> dict[str, tuple[str, str]]:
    """Each commune: (a dossier, its file held at the city), and a rejection."""
    made: dict[str, tuple[str, str]] = {}
    for node_id in (OWN, OTHER):
        node = FakeNode(node_id)
        dossier = node.receive(name=f"Người của {node_id}")
        data = f"%PDF scan of {node_id}".encode()
        sha = node.attach(dossier, data)
        runtime.handler.handle(*node.birth())
        runtime.handler.handle(*node.batch(1, len(node.log)))
        runtime.handler.handle(
            *node.up(Lane.BLOBS, wire.BlobChunk(node_id, sha, len(data), 0, data))
        )
        runtime.handler.handle(f"motcua/v1/{node_id}/up/events", b"\xc1")  # bad_payload
        made[node_id] = (dossier, sha)
    return made


def test_the_scope_rule() -> None:
    everyone = Actor("xem", roles=frozenset({Role.CITY_VIEWER}))
    scoped = Actor("xa", roles=frozenset({Role.COMMUNE_VIEWER}), node_scope=OWN)
    assert node_filter(everyone, None) is None and node_filter(everyone, OTHER) == OTHER
    assert node_filter(scoped, None) == OWN and node_filter(scoped, OWN) == OWN
    try:
        node_filter(scoped, OTHER)
        raise AssertionError("another node must be refused")
    except NotFound as exc:
        assert str(exc) == f"no node {OTHER!r} has replicated here"
    assert sees(everyone, OTHER) and sees(scoped, OWN) and not sees(scoped, OTHER)


def test_a_commune_viewer_sees_only_its_commune(runtime: CentralRuntime) -> None:
    made = _two_communes(runtime)
    own_dossier, own_sha = made[OWN]
    other_dossier, other_sha = made[OTHER]
    with token_client(runtime, "xa-an-binh-xem", Role.COMMUNE_VIEWER, OWN) as scoped:
        nodes = scoped.get("/api/v1/nodes").json()
        assert [n["node_id"] for n in nodes] == [OWN]
        assert scoped.get(f"/api/v1/nodes/{OWN}").status_code == 200
        listed = scoped.get("/api/v1/dossiers").json()
        assert [d["node_id"] for d in listed["items"]] == [OWN] and listed["total"] == 1
        assert scoped.get("/api/v1/dossiers", params={"node": OWN}).json()["total"] == 1
        found = scoped.get("/api/v1/dossiers", params={"q": "hai chau"}).json()
        assert found["total"] == 0  # a search never reaches into another commune
        assert scoped.get(f"/api/v1/dossiers/{own_dossier}").status_code == 200
        assert scoped.get(f"/api/v1/documents/{own_sha}").status_code == 200
        assert scoped.get("/api/v1/stats").json()["received"] == 1
        assert scoped.get("/api/v1/stats", params={"node": OWN}).json()["received"] == 1
        receiver = scoped.get("/api/v1/receiver").json()
        assert receiver["rejected_by_node"] == {OWN: {"bad_payload": 1}}
        assert receiver["process"] is None and receiver["mqtt"] is None
        # Another commune, and one that does not exist, answer alike.
        for node_id in (OTHER, "xa-khong-co"):
            for path, params in (
                (f"/api/v1/nodes/{node_id}", {}),
                ("/api/v1/dossiers", {"node": node_id}),
                ("/api/v1/stats", {"node": node_id}),
            ):
                refused = scoped.get(path, params=params)
                assert refused.status_code == 404, (path, params, refused.text)
                assert refused.json()["detail"] == f"no node {node_id!r} has replicated here"
        hidden = scoped.get(f"/api/v1/dossiers/{other_dossier}")
        missing = scoped.get("/api/v1/dossiers/no-such-dossier")
        assert hidden.status_code == missing.status_code == 404
        assert "Người của" not in hidden.text
        hidden_file = scoped.get(f"/api/v1/documents/{other_sha}")
        missing_file = scoped.get(f"/api/v1/documents/{'0' * 64}")
        assert hidden_file.status_code == missing_file.status_code == 404
        # Nor act, on its own commune or another.
        for dossier in (own_dossier, other_dossier):
            acted = scoped.post(f"/api/v1/dossiers/{dossier}/transitions", json={"action": "start"})
            assert acted.status_code == 403, acted.text
    assert runtime.store.down_events(OWN, 0, 10) == []


def test_a_viewer_sees_every_commune_but_cannot_act(runtime: CentralRuntime) -> None:
    made = _two_communes(runtime)
    other_dossier, other_sha = made[OTHER]
    with token_client(runtime, "xem", Role.CITY_VIEWER) as viewer:
        assert {n["node_id"] for n in viewer.get("/api/v1/nodes").json()} == {OWN, OTHER}
        assert viewer.get("/api/v1/dossiers").json()["total"] == 2
        assert viewer.get(f"/api/v1/dossiers/{other_dossier}").status_code == 200
        assert viewer.get(f"/api/v1/documents/{other_sha}").status_code == 200
        assert viewer.get("/api/v1/receiver").json()["process"] is not None
        acted = viewer.post(
            f"/api/v1/dossiers/{other_dossier}/transitions", json={"action": "start"}
        )
        assert acted.status_code == 403
        assert acted.json()["detail"] == "'xem' may not city transition: it needs the role admin"
    assert runtime.store.down_events(OTHER, 0, 10) == []


def test_the_administrator_acts_as_its_own_account(runtime: CentralRuntime) -> None:
    made = _two_communes(runtime)
    dossier, _ = made[OTHER]
    with token_client(runtime, "so-noi-vu", Role.ADMIN) as admin:
        acted = admin.post(f"/api/v1/dossiers/{dossier}/transitions", json={"action": "start"})
        assert acted.status_code == 201, acted.text
    (record,) = runtime.store.down_events(OTHER, 0, 10)
    assert record.actor == "central:so-noi-vu"
