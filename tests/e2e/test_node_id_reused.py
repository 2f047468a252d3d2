"""One node id on two machines at once (new hardware while the old machine still runs).

With the node id as the MQTT client id, the broker handed the session from one machine to
the other and both reconnected every second for good (reproduced: a connect a second on
each). The client id now names the machine too (``uplink/connect.py``): both stay
connected, the city refuses the second machine's events at seqs it holds as other events
and flags the node as diverged, and that machine raises ``log_diverged``. Nothing is lost
(each machine keeps its log) and nothing is applied twice.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from node.runtime import open_node
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    add_dossiers,
    central_log,
    make_central,
    make_node,
    node_log,
    sync_proc,
    wait_converged,
)
from tests.support.wait import wait_until
from uplink.status import status

NODE = "xa-twice"
FAST = {"ack_timeout_seconds": "2.0"}


def _machine(root: Path, url: str, dossiers: int) -> Path:
    root.mkdir()
    node_dir = make_node(root, NODE, url, sync=FAST)
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, dossiers, steps=("start",))
    finally:
        rt.close()
    return node_dir


def _alarm(node_dir: Path) -> str | None:
    rt = open_node(node_dir)
    try:
        return status(rt).alarm
    finally:
        rt.close()


@pytest.mark.slow
def test_a_node_id_on_two_machines_is_refused_and_flagged_not_fought_over(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    central = make_central(tmp_path, url).start()
    old_dir = _machine(tmp_path / "old", url, 30)
    new_dir = _machine(tmp_path / "new", url, 20)
    old, new = sync_proc(old_dir).start(), sync_proc(new_dir)
    try:
        wait_converged(old_dir, central, NODE, timeout=60)
        new = sync_proc(new_dir).start()
        # The new machine's events are refused, with an alarm there and at the city.
        wait_until(lambda: _alarm(new_dir) == "log_diverged", timeout=30, what="the alarm")
        row = httpx.get(
            f"{central.url}/api/v1/nodes/{NODE}", headers=central.headers, timeout=5
        ).json()
        assert row["diverged_at"] is not None  # the city flags the node for an operator
        assert _alarm(old_dir) is None  # the machine whose log the city holds goes on
        for proc in (old, new):  # neither took the connection from the other
            assert proc.log_path.read_text().count("event=connected") == 1, proc.log()
    finally:
        new.stop()
        old.stop()
        central.proc.stop()
    at_city = central_log(central, NODE)
    ids = [i for _, _, i in at_city]
    assert len(ids) == len(set(ids))  # nothing applied twice
    mine = node_log(old_dir)
    assert {(o, s): i for o, s, i in at_city if o == NODE} == {
        k: i for k, i in mine.items() if k[0] == NODE
    }  # the city holds the old machine's log exactly
    new_ids = {i for (o, _), i in node_log(new_dir).items() if o == NODE}
    assert new_ids and not new_ids & set(ids)  # refused, and still on the new machine
