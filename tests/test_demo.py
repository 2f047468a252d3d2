"""The README's main job: ``motcua demo`` runs a broker, a city data centre and a node with
sample data that replicates to it; stopping it stops all three."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from cli.demo_accounts import CITY_TOKEN_FILE, TOKEN_FILE
from tests.support.live_node import free_port
from tests.support.wait import wait_until


def _get(url: str, token: str = "") -> httpx.Response | None:
    headers = {"Authorization": f"Bearer {token.strip()}"} if token else {}
    try:
        return httpx.get(url, headers=headers, timeout=2)
    except httpx.HTTPError:
        return None


def test_demo_runs_node_and_city_and_stops_cleanly(tmp_path: Path) -> None:
    node_port, city_port, broker_port = free_port(), free_port(), free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli",
                "demo",
                "--data-dir",
                str(tmp_path / "demo"),
                "--port",
                str(node_port),
                "--central-port",
                str(city_port),
                "--broker-port",
                str(broker_port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:

        def replicated() -> bool:
            token_file = tmp_path / "demo" / CITY_TOKEN_FILE
            if not token_file.exists():
                return False
            nodes = _get(f"http://127.0.0.1:{city_port}/api/v1/nodes", token_file.read_text())
            if nodes is None or nodes.status_code != 200 or not nodes.json():
                return False
            node = nodes.json()[0]
            return bool(node["online"] and node["dossiers"] == 6 and node["pending_estimate"] == 0)

        wait_until(replicated, timeout=60, interval=0.2, what=f"replication ({log.read_text()})")
        token = (tmp_path / "demo" / TOKEN_FILE).read_text().strip()
        assert token in log.read_text()
        anonymous = httpx.get(f"http://127.0.0.1:{node_port}/api/v1/dossiers")
        assert anonymous.status_code == 401
        page = httpx.get(
            f"http://127.0.0.1:{node_port}/api/v1/dossiers",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert page["total"] == 6
        assert "commune node demo-xa-1" in log.read_text()
        city_token = (tmp_path / "demo" / CITY_TOKEN_FILE).read_text().strip()
        assert city_token in log.read_text()
        assert "thanhpho (admin)" in log.read_text()
        city_anonymous = _get(f"http://127.0.0.1:{city_port}/api/v1/nodes")
        assert city_anonymous is not None and city_anonymous.status_code == 401
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
    wait_until(
        lambda: _get(f"http://127.0.0.1:{city_port}/healthz") is None,
        timeout=20,
        what="the city's port released",
    )
    leftovers = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "demo")], capture_output=True, text=True
    )
    assert leftovers.stdout.strip() == "", f"processes left running: {leftovers.stdout}"
