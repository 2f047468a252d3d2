"""Lanes have strict priority: a dossier created during a long file upload reaches the
city within seconds, under a bandwidth cap that applies to everything the node sends."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from node.dossier_service import attach_document, receive
from node.runtime import open_node
from rules.permissions import seeding_machine
from tests.support.mosquitto import Mosquitto
from tests.support.replication import REQUEST, Central, make_central, make_node, sync_proc
from tests.support.wait import wait_until

NODE = "xa-priority"
RATE = 1_000_000  # bytes/s: a 12 MB file needs about 12 s


def test_dossier_overtakes_a_large_file(tmp_path: Path, broker: Mosquitto) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync={"bandwidth_bytes_per_s": str(RATE)})
    central = make_central(tmp_path, url).start()
    rt = open_node(node_dir)
    sender = sync_proc(node_dir)
    try:
        first = receive(rt, REQUEST, seeding_machine("test"))
        big = tmp_path / "big.tif"
        big.write_bytes(os.urandom(12 * 1024 * 1024))
        blob = rt.blobs.put_file(big)
        attach_document(
            rt,
            first.id,
            blob,
            mime="image/tiff",
            role="component",
            copy_kind="original",
            filename="big.tif",
            actor=seeding_machine("test"),
        )
        sender.start()
        started = time.monotonic()
        wait_until(lambda: _seen(central, first.id), timeout=30, what="the first dossier")
        time.sleep(2.0)  # the file is now well under way
        urgent = receive(rt, REQUEST, seeding_machine("test"))
        created = time.monotonic()
        wait_until(lambda: _seen(central, urgent.id), timeout=30, what="the urgent dossier")
        overtook = time.monotonic() - created
        assert overtook < 5.0, f"the dossier waited {overtook:.1f}s behind the file"
        assert not _file_held(central, blob.sha256), "the file finished first: no overlap"
        # The cap holds for the whole transfer: 12 MB at 1 MB/s takes at least ~10 s.
        wait_until(lambda: _file_held(central, blob.sha256), timeout=90, what="the file")
        assert time.monotonic() - started > 10.0
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()


def _seen(central: Central, dossier_id: str) -> bool:
    url = f"{central.url}/api/v1/dossiers/{dossier_id}"
    return httpx.get(url, headers=central.headers).status_code == 200


def _file_held(central: Central, sha256: str) -> bool:
    url = f"{central.url}/api/v1/documents/{sha256}"
    return httpx.get(url, headers=central.headers).status_code == 200
