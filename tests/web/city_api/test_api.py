"""The city API: nodes, dossiers of every commune, indicators, receiver counters, files."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from sync import wire
from sync.topics import Lane
from tests.central.fake_node import FakeNode

NODE_A = "xa-an-binh"
NODE_B = "phuong-hai-chau"
Client = TestClient[Litestar]


def replicate(runtime: CentralRuntime, node: FakeNode) -> None:
    runtime.handler.handle(*node.birth())
    runtime.handler.handle(*node.batch(1, len(node.log)))


def test_nodes_show_presence_progress_backlog_and_last_error(
    api: Client, runtime: CentralRuntime
) -> None:
    a = FakeNode(NODE_A)
    for _ in range(5):
        a.receive()
    runtime.handler.handle(*a.birth())  # reports 5 events
    runtime.handler.handle(*a.batch(1, 3))
    runtime.handler.handle(*a.batch(5, 5))  # a gap: the last error
    b = FakeNode(NODE_B)
    b.receive()
    replicate(runtime, b)
    runtime.handler.handle(*b.up(Lane.CONTROL, wire.Offline(NODE_B, b.session)))
    nodes = {n["node_id"]: n for n in api.get("/api/v1/nodes").json()}
    assert set(nodes) == {NODE_A, NODE_B}
    node_a = nodes[NODE_A]
    assert node_a["online"] is True and node_a["last_seen"].endswith("+07:00")
    assert (node_a["acked_seq"], node_a["node_last_seq"], node_a["pending_estimate"]) == (3, 5, 2)
    assert node_a["gaps"] == 1 and node_a["last_error"].startswith("gap:")
    assert node_a["dossiers"] == 3
    assert nodes[NODE_B]["online"] is False and nodes[NODE_B]["pending_estimate"] == 0
    one = api.get(f"/api/v1/nodes/{NODE_A}")
    assert one.status_code == 200 and one.json() == node_a
    assert api.get("/api/v1/nodes/xa-unknown").status_code == 404


def test_dossiers_of_every_node_are_searchable_and_show_their_events(
    api: Client, runtime: CentralRuntime
) -> None:
    a, b = FakeNode(NODE_A), FakeNode(NODE_B)
    first = a.receive(name="Nguyễn Văn Đức")
    a.transition(first, "start", 2, 4)
    a.receive(name="Lê Thị Hoa")
    b.receive(name="Đỗ Văn Nam")
    replicate(runtime, a)
    replicate(runtime, b)
    page = api.get("/api/v1/dossiers").json()
    assert page["total"] == 3 and {d["node_id"] for d in page["items"]} == {NODE_A, NODE_B}
    only_a = api.get("/api/v1/dossiers", params={"node": NODE_A}).json()
    assert only_a["total"] == 2
    found = api.get("/api/v1/dossiers", params={"q": "do van nam"}).json()
    assert [d["node_id"] for d in found["items"]] == [NODE_B]
    processing = api.get("/api/v1/dossiers", params={"status": 4}).json()
    assert [d["id"] for d in processing["items"]] == [first]
    one = api.get(f"/api/v1/dossiers/{first}").json()
    assert one["node_id"] == NODE_A and one["status_label"] == "Đang xử lý"
    assert [e["kind"] for e in one["events"]] == ["dossier_received", "dossier_transitioned"]
    assert api.get("/api/v1/dossiers/nope").status_code == 404
    assert api.get("/api/v1/dossiers", params={"status": 11}).status_code == 400


def test_stats_per_node_and_for_the_city(api: Client, runtime: CentralRuntime) -> None:
    a, b = FakeNode(NODE_A), FakeNode(NODE_B)
    a.receive()
    a.receive(channel="post")
    b.receive()
    replicate(runtime, a)
    replicate(runtime, b)
    city = api.get("/api/v1/stats").json()
    assert city["received"] == 3 and city["in_progress"] == 3
    # The city computes Decision 766's rates with the node's code, beside its counts.
    assert city["national"]["received"] == 3 and city["national"]["in_progress"] == 3
    only_a = api.get("/api/v1/stats", params={"node": NODE_A}).json()
    assert only_a["received"] == 2 and only_a["channels"]["post"] == 0.5
    window = api.get("/api/v1/stats", params={"from": "2030-01-01"}).json()
    assert window["received"] == 0
    assert api.get("/api/v1/stats", params={"node": "xa-nowhere"}).status_code == 404
    assert api.get("/api/v1/stats", params={"from": "yesterday"}).status_code == 400


def test_receiver_counters_and_health(api: Client, runtime: CentralRuntime) -> None:
    node = FakeNode(NODE_A)
    node.receive()
    replicate(runtime, node)
    runtime.handler.handle("motcua/v1/xa-an-binh/up/events", b"\xc1")
    runtime.handler.handle("not/a/topic", b"")
    body = api.get("/api/v1/receiver").json()
    assert body["rejected"] == {"bad_payload": 1, "bad_topic": 1}
    assert body["rejected_by_node"] == {NODE_A: {"bad_payload": 1}, "-": {"bad_topic": 1}}
    assert body["process"]["events_applied"] == 1
    assert body["process"]["rejected.bad_topic"] == 1
    health = api.get("/healthz").json()
    assert health["status"] == "ok" and health["schema"] == "005_board"
    assert health["store"] == runtime.store.kind and health["nodes"] == 1


def test_a_held_file_is_served_as_stored(api: Client, runtime: CentralRuntime) -> None:
    node = FakeNode(NODE_A)
    data = b"%PDF-1.7 signed bytes"
    sha = node.attach(node.receive(), data)
    runtime.handler.handle(*node.up(Lane.BLOBS, wire.BlobChunk(NODE_A, sha, len(data), 0, data)))
    response = api.get(f"/api/v1/documents/{sha}")
    assert response.status_code == 200 and response.content == data
    assert api.get(f"/api/v1/documents/{'0' * 64}").status_code == 404
    assert api.get("/api/v1/documents/not-a-hash").status_code in (400, 404)


def test_a_store_failure_is_503_with_a_reason(api: Client, runtime: CentralRuntime) -> None:
    runtime.store.close()
    response = api.get("/api/v1/nodes")
    assert response.status_code == 503 and "closed" in response.json()["detail"]
