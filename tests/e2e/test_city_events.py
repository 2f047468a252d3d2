"""What the city appends flows down; a conflicting transition at both sites is kept and
flagged, and both sites end in the same state."""

from __future__ import annotations

from pathlib import Path

import httpx

from node.runtime import open_node
from tests.node.helpers import create_body
from tests.support.accounts import api_client
from tests.support.mosquitto import Mosquitto
from tests.support.replication import make_central, make_node, sync_proc, wait_converged
from tests.support.wait import wait_until

NODE = "xa-city"


def test_concurrent_transitions_are_both_kept_and_flagged(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync={"ack_timeout_seconds": "2.0"})
    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    rt = open_node(node_dir)
    try:
        with api_client(rt) as node_api:
            dossier = node_api.post("/api/v1/dossiers", json=create_body()).json()
            wait_until(
                lambda: (
                    httpx.get(
                        f"{central.url}/api/v1/dossiers/{dossier['id']}", headers=central.headers
                    ).status_code
                    == 200
                ),
                timeout=30,
                what="the dossier at the city",
            )
            sender.stop()  # the link is down: both sites act on status 2 without knowing
            local = node_api.post(
                f"/api/v1/dossiers/{dossier['id']}/transitions", json={"action": "start"}
            )
            assert local.status_code == 201, local.text
            city = httpx.post(
                f"{central.url}/api/v1/dossiers/{dossier['id']}/transitions",
                json={"action": "request_supplement", "note": "Sở yêu cầu bổ sung"},
                headers=central.headers,
            )
            assert city.status_code == 201, city.text
            sender.start()
            wait_converged(node_dir, central, NODE, timeout=60)
            at_node = node_api.get(f"/api/v1/dossiers/{dossier['id']}").json()
        at_city = httpx.get(
            f"{central.url}/api/v1/dossiers/{dossier['id']}", headers=central.headers
        ).json()
        # Both events are in both logs, and the dossier is flagged, identically.
        actions = [e["body"].get("action") for e in at_node["events"]]
        assert "start" in actions and "request_supplement" in actions
        assert len(at_node["conflicts"]) == 1
        assert at_node["conflicts"] == at_city["conflicts"]
        assert at_node["status"] == at_city["status"]
        assert any(
            e["origin"] == "central" and e["actor"].startswith("central:")
            for e in at_node["events"]
        )
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()


def test_city_refuses_an_illegal_transition(tmp_path: Path, broker: Mosquitto) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url)
    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    rt = open_node(node_dir)
    try:
        with api_client(rt) as node_api:
            dossier = node_api.post("/api/v1/dossiers", json=create_body()).json()
        wait_until(
            lambda: (
                httpx.get(
                    f"{central.url}/api/v1/dossiers/{dossier['id']}", headers=central.headers
                ).status_code
                == 200
            ),
            timeout=30,
            what="the dossier at the city",
        )
        bad = httpx.post(
            f"{central.url}/api/v1/dossiers/{dossier['id']}/transitions",
            json={"action": "return_result"},
            headers=central.headers,
        )
        assert bad.status_code == 409
        report = wait_converged(node_dir, central, NODE, timeout=60)
        assert report.clean
    finally:
        rt.close()
        sender.stop()
        central.proc.stop()
