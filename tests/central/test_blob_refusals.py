"""A file the city will not take steps aside: the files behind it still go up."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import msgspec
import pytest

from node.dossier_service import PersonIn, ReceiveRequest, attach_document, receive
from node.runtime import NodeRuntime, open_node
from rules.permissions import seeding_machine
from storage.blob_store import BlobInfo
from tests.central.loopback import City
from tests.node.helpers import PROCEDURE
from uplink.node_link import NodeLink


def attach(rt: NodeRuntime, tmp_path: Path, name: str, data: bytes) -> BlobInfo:
    dossier = receive(
        rt, ReceiveRequest(PROCEDURE, PersonIn("Trần Thị Bình"), "in_person"), seeding_machine("t")
    )
    source = tmp_path / name
    source.write_bytes(data)
    blob = rt.blobs.put_file(source)
    attach_document(
        rt,
        dossier.id,
        blob,
        mime="application/pdf",
        role="component",
        copy_kind="original",
        filename=name,
        actor=seeding_machine("test"),
    )
    return blob


def fast_link(rt: NodeRuntime, city: City) -> NodeLink:
    # Answers come back in the same turn here, so a short timeout only speeds retries up.
    return city.link(rt, msgspec.structs.replace(rt.config.sync, ack_timeout_seconds=0.05))


def turn_until(link: NodeLink, done: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the file behind never reached the city"
        link.turn()
        time.sleep(0.005)


def test_a_file_over_the_citys_limit_lets_the_next_one_go(node_dir: Path, tmp_path: Path) -> None:
    city = City(tmp_path / "city", max_file_bytes=64 * 1024)
    rt = open_node(node_dir)
    try:
        big = attach(rt, tmp_path, "big.pdf", b"%PDF-1.4 " + os.urandom(200 * 1024))
        small = attach(rt, tmp_path, "small.pdf", b"%PDF-1.4 small")
        link = fast_link(rt, city)
        turn_until(link, lambda: city.store.blob_size(small.sha256) == small.size)
        assert city.store.blob_size(big.sha256) is None
        refused = {r.reason: r.count for r in city.store.rejection_counts()}
        assert refused["file_too_large"] >= 3  # offered, unanswered, then stepped aside
    finally:
        rt.close()
        city.store.close()


def test_a_file_damaged_on_the_node_lets_the_next_one_go_and_says_so(
    node_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    city = City(tmp_path / "city")
    rt = open_node(node_dir)
    try:
        damaged = attach(rt, tmp_path, "a.pdf", b"%PDF-1.4 " + os.urandom(4096))
        fine = attach(rt, tmp_path, "b.pdf", b"%PDF-1.4 fine")
        stored = rt.blobs.path_for(damaged.sha256)
        stored.chmod(0o644)
        with stored.open("r+b") as f:  # a bit flipped on the node's disk, size unchanged
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0xFF]))
        link = fast_link(rt, city)
        with caplog.at_level(logging.WARNING):
            turn_until(link, lambda: city.store.blob_size(fine.sha256) == fine.size)
        assert city.store.blob_size(damaged.sha256) is None
        # Checked against its hash before it was offered: it never went up at all.
        assert city.store.rejection_counts() == []
        text = caplog.text
        assert f"event=blob_set_aside sha256={damaged.sha256}" in text
        assert f"event=blob_deferred sha256={damaged.sha256}" in text
    finally:
        rt.close()
        city.store.close()
