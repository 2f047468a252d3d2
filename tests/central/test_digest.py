"""Convergence: a real node and the city compute the same digest once everything arrived."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from msgspec import convert

from central import city_actions
from central.runtime import CentralRuntime, open_central
from cli import cli
from cli.central_cmd import initialise
from cli.common import operator
from cli.digest_cmd import central_digest, node_digest
from node import dossier_service, dossier_store, event_log
from node.dossier_service import ReceiveRequest
from node.runtime import NodeRuntime, open_node
from rules.clock import utc_now
from rules.lifecycle import Action
from rules.permissions import seeding_machine
from rules.transitions import TransitionRequest
from sync import wire
from sync.topics import Lane, up
from tests.node.helpers import create_body
from uplink import downstream

NODE_ID = "xa-test"  # the node made by tests/conftest.py's node_dir


@pytest.fixture(params=["sqlite", "postgresql"])
def city(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CentralRuntime]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    initialise(tmp_path / "city", "mqtt://127.0.0.1:1883", store_url=url)
    rt = open_central(tmp_path / "city")
    yield rt
    rt.close()


@pytest.fixture
def node(node_dir: Path) -> Iterator[NodeRuntime]:
    rt = open_node(node_dir)
    yield rt
    rt.close()


def work_at_the_node(node: NodeRuntime, tmp_path: Path) -> str:
    """Dossiers, transitions and a scanned document, through the node's own services."""
    first = dossier_service.receive(
        node, convert(create_body(), ReceiveRequest), seeding_machine("staff-1")
    )
    post = convert(create_body(channel="post"), ReceiveRequest)
    dossier_service.receive(node, post, seeding_machine("staff-1"))
    dossier_service.transition(
        node, first.id, TransitionRequest(Action.START), seeding_machine("staff-1")
    )
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 30)
    info = node.blobs.put_file(scan)
    dossier_service.attach_document(
        node,
        first.id,
        info,
        mime="application/pdf",
        role="component",
        copy_kind="original",
        filename="scan.pdf",
        actor=seeding_machine("staff-1"),
    )
    return first.id


def ship_events(node: NodeRuntime, city: CentralRuntime, batch_size: int = 7) -> None:
    """What the node's sender does: its own events in batches, until acknowledged."""
    conn = node.db.read()
    acked = 0
    while events := event_log.after(conn, NODE_ID, acked, batch_size):
        batch = wire.EventBatch(NODE_ID, events[0].seq, events)
        # The ack first; then a "send it" for each file the batch names (not held yet).
        reply = city.handler.handle(up(NODE_ID, Lane.EVENTS), wire.encode(batch))[0]
        assert isinstance(reply.message, wire.EventAck)
        acked = reply.message.upto_seq


def ship_files(node: NodeRuntime, city: CentralRuntime, chunk: int = 1000) -> None:
    for sha, size in node.db.read().execute("SELECT sha256, size FROM blobs"):
        data = node.blobs.path_for(sha).read_bytes()
        offset = 0
        while True:
            message = wire.BlobChunk(NODE_ID, sha, size, offset, data[offset : offset + chunk])
            (reply,) = city.handler.handle(up(NODE_ID, Lane.BLOBS), wire.encode(message))
            assert isinstance(reply.message, wire.ChunkAck)
            if reply.message.complete:
                break
            offset = reply.message.next_offset


def apply_down(node: NodeRuntime, city: CentralRuntime) -> None:
    """What the node does with the city's DownBatches (uplink.downstream, the node's code)."""
    out = city.handler.handle(*_birth(node))
    for o in out:
        if isinstance(o.message, wire.DownBatch):
            with node.db.write() as conn:
                downstream.apply_records(conn, o.message.events)


def _birth(node: NodeRuntime) -> tuple[str, bytes]:
    head = event_log.head_seq(node.db.read(), NODE_ID)
    birth = wire.Birth(NODE_ID, "2027-02-01T00:00:00Z", head, "test")
    return up(NODE_ID, Lane.CONTROL), wire.encode(birth)


def test_node_and_city_digests_are_equal_once_converged(
    node: NodeRuntime, city: CentralRuntime, tmp_path: Path
) -> None:
    dossier = work_at_the_node(node, tmp_path)
    ship_events(node, city)
    # Events are there but the scan is not yet: not converged.
    assert node_digest(node.data_dir) != central_digest(city.data_dir, NODE_ID)
    ship_files(node, city)
    assert node_digest(node.data_dir) == central_digest(city.data_dir, NODE_ID)

    # The city acts on the dossier; until the node applied it, the digests differ.
    request = TransitionRequest(Action.REQUEST_SUPPLEMENT, note="Thiếu giấy khai sinh")
    city_actions.transition(
        city.store,
        dossier,
        request,
        seeding_machine("so-tu-phap"),
        city.config.office_periods(),
        utc_now(),
    )
    assert node_digest(node.data_dir) != central_digest(city.data_dir, NODE_ID)
    apply_down(node, city)
    assert node_digest(node.data_dir) == central_digest(city.data_dir, NODE_ID)
    # The node's projection of the city's event is the city's projection.
    node_state, _ = dossier_service.get(node, dossier, operator("test"))
    view = city.store.get_dossier(dossier)
    assert view is not None and node_state == view.state and node_state.status == 5

    # The same through the command line, at both sites.
    runner = CliRunner()
    at_node = runner.invoke(cli, ["digest", "--data-dir", str(node.data_dir)])
    at_city = runner.invoke(cli, ["digest", "--data-dir", str(city.data_dir), "--node", NODE_ID])
    assert at_node.exit_code == 0 and at_city.exit_code == 0, at_node.output + at_city.output
    assert at_node.output == at_city.output and len(at_node.output.strip()) == 64


def test_an_unfiled_scan_at_the_node_does_not_keep_the_digests_apart(
    node: NodeRuntime, city: CentralRuntime, tmp_path: Path
) -> None:
    # Scans waiting in the unfiled inbox are in the node's blobs table but never sent.
    work_at_the_node(node, tmp_path)
    stray = tmp_path / "unfiled.pdf"
    stray.write_bytes(b"%PDF-1.7 no slip found")
    info = node.blobs.put_file(stray)
    with node.db.write() as conn:
        conn.execute(
            "INSERT INTO blobs (sha256, size, mime, stored_at) VALUES (?, ?, ?, ?)",
            (info.sha256, info.size, "application/pdf", "2027-02-01T00:00:00.000000Z"),
        )
    ship_events(node, city)
    ship_files(node, city)  # the stray is sent here too, but no event names it
    assert node_digest(node.data_dir) == central_digest(city.data_dir, NODE_ID)


def test_digest_command_errors_are_clear(tmp_path: Path, city: CentralRuntime) -> None:
    runner = CliRunner()
    no_node = runner.invoke(cli, ["digest", "--data-dir", str(city.data_dir)])
    assert no_node.exit_code == 2 and "--node" in no_node.output
    nothing = runner.invoke(cli, ["digest", "--data-dir", str(tmp_path / "empty")])
    assert nothing.exit_code == 2 and "central.toml" in nothing.output
    unknown = runner.invoke(cli, ["digest", "--data-dir", str(city.data_dir), "--node", "xa-x"])
    # A node the city never heard of has the digest of an empty log.
    assert unknown.exit_code == 0 and len(unknown.output.strip()) == 64


def test_a_dossier_projected_differently_shows_in_the_digest(
    node: NodeRuntime, city: CentralRuntime, tmp_path: Path
) -> None:
    # Same events, same files, but the node shows the dossier in another status (as when
    # a clock made one site fold the events in another order): the digests must differ.
    dossier = work_at_the_node(node, tmp_path)
    ship_events(node, city)
    ship_files(node, city)
    assert node_digest(node.data_dir) == central_digest(city.data_dir, NODE_ID)
    state, _ = dossier_service.get(node, dossier, operator("test"))
    with node.db.write() as conn:
        dossier_store.save(conn, msgspec.structs.replace(state, status=5))
    assert node_digest(node.data_dir) != central_digest(city.data_dir, NODE_ID)
    with node.db.write() as conn:
        dossier_store.save(conn, state)
    assert node_digest(node.data_dir) == central_digest(city.data_dir, NODE_ID)
