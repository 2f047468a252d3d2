"""Clocks must not reorder history, and a clock known to be wrong records no dossier time.

Real processes: ``motcua serve`` (API and link) whose wall clock is shifted through
``MOTCUA_CLOCK_SKEW_FILE`` (``cli/clock_skew.py``), the city's ``motcua central serve``
on the right clock, and a real Mosquitto.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from cli.clock_skew import ENV
from node import dossier_store, event_log
from rules.replay import refold
from tests.node.helpers import create_body
from tests.support.live_node import LiveNode, start_node
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    Central,
    make_central,
    make_node,
    open_rt,
    wait_converged,
)
from tests.support.wait import wait_until

NODE = "xa-clock"
FIVE_YEARS = 5 * 365 * 86400


@contextmanager
def skewed_site(
    tmp_path: Path, broker: Mosquitto, skew: float, sync: dict[str, str] | None = None
) -> Iterator[tuple[LiveNode, Central, Path]]:
    """A city on the right clock and a node whose clock is ``skew`` seconds off."""
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync={"ack_timeout_seconds": "2.0", **(sync or {})})
    skew_file = tmp_path / "skew"
    skew_file.write_text(str(skew))
    central = make_central(tmp_path, url).start()
    node = start_node(node_dir, env={ENV: str(skew_file)})
    try:
        yield node, central, skew_file
    finally:
        node.stop()
        central.proc.stop()


def _get(node: LiveNode, path: str) -> Any:
    return httpx.get(f"{node.url}{path}", headers=node.headers).json()


def _status(node: LiveNode) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(
        f"{node.url}/api/v1/sync/status", headers=node.headers
    ).json()
    return result


def _measured(node: LiveNode) -> dict[str, Any]:
    """Wait for the first ack's estimate of this clock and return the sync status."""
    wait_until(
        lambda: (_status(node).get("clock") or {}).get("offset_seconds") is not None,
        timeout=30,
        what="the node's first estimate of the city's time",
    )
    return _status(node)


def _move(site: str, dossier: str, action: str, headers: dict[str, str]) -> httpx.Response:
    body = {"action": action, "note": "Thiếu giấy tờ"}
    return httpx.post(f"{site}/api/v1/dossiers/{dossier}/transitions", json=body, headers=headers)


def test_a_node_ten_minutes_behind_folds_like_the_city(tmp_path: Path, broker: Mosquitto) -> None:
    # The alarm is set past the skew so the node acts; the order must hold regardless.
    settings = {"clock_alarm_seconds": "3600.0"}
    with skewed_site(tmp_path, broker, -600, settings) as (node, central, _skew):
        node_dir = node.data_dir
        made = httpx.post(f"{node.url}/api/v1/dossiers", json=create_body(), headers=node.headers)
        assert made.status_code == 201, made.text
        dossier = made.json()["id"]
        wait_until(
            lambda: (
                httpx.get(
                    f"{central.url}/api/v1/dossiers/{dossier}", headers=central.headers
                ).status_code
                == 200
            ),
            timeout=30,
            what="the dossier at the city",
        )
        started = _move(central.url, dossier, "start", central.headers)  # the city: 2 -> 4
        assert started.status_code == 201, started.text
        wait_until(
            lambda: _get(node, f"/api/v1/dossiers/{dossier}")["status"] == 4,
            timeout=30,
            what="the city's start at the node",
        )
        asked = _move(node.url, dossier, "request_supplement", node.headers)  # the node: 4 -> 5
        assert asked.status_code == 201, asked.text
        wait_converged(node_dir, central, NODE, timeout=60)  # digests cover the dossiers
        at_node = _get(node, f"/api/v1/dossiers/{dossier}")
        at_city = httpx.get(
            f"{central.url}/api/v1/dossiers/{dossier}", headers=central.headers
        ).json()
        assert at_node["status"] == at_city["status"] == 5
        assert at_node["conflicts"] == at_city["conflicts"] == []
        times = {e["body"].get("action"): e["recorded_at"] for e in at_node["events"]}
        assert times["request_supplement"] < times["start"]  # the clocks alone would reorder
        with open_rt(node_dir) as rt:  # the node refolding its own log agrees too
            conn = rt.db.read()
            assert refold(event_log.for_stream(conn, dossier)) == dossier_store.load(conn, dossier)
        clock = _measured(node)["clock"]
        assert 590 < clock["offset_seconds"] < 610 and clock["alarm"] is None


def test_a_node_five_years_ahead_is_refused_at_reception(tmp_path: Path, broker: Mosquitto) -> None:
    with skewed_site(tmp_path, broker, FIVE_YEARS) as (node, _central, skew_file):
        status = _measured(node)
        assert status["alarm"] == "clock_off" and status["clock"]["alarm"] == "clock_off"
        with open_rt(node.data_dir) as rt:
            head = event_log.head_seq(rt.db.read(), NODE)  # the catalog and calendars
        refused = httpx.post(
            f"{node.url}/api/v1/dossiers", json=create_body(), headers=node.headers
        )
        assert refused.status_code == 503, refused.text
        problem = refused.json()
        assert problem["field"] == "clock" and "ahead of the city's" in problem["detail"]
        assert "timedatectl" in problem["detail"]
        listed = _get(node, "/api/v1/dossiers")
        assert listed["total"] == 0  # nothing written
        with open_rt(node.data_dir) as rt:
            assert event_log.head_seq(rt.db.read(), NODE) == head
        # ``motcua check`` on the same machine, so on the same wrong clock.
        checked = subprocess.run(
            [sys.executable, "-m", "cli", "check", "--data-dir", str(node.data_dir)],
            env={**os.environ, ENV: str(skew_file)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert checked.returncode == 3 and "clock_off" in checked.stderr, checked.stdout


def test_a_clock_stepped_back_and_forward_while_connected(
    tmp_path: Path, broker: Mosquitto
) -> None:
    with skewed_site(tmp_path, broker, 0) as (node, central, skew_file):
        made = httpx.post(f"{node.url}/api/v1/dossiers", json=create_body(), headers=node.headers)
        assert made.status_code == 201, made.text
        dossier = made.json()["id"]
        assert _measured(node)["alarm"] is None
        skew_file.write_text("-3600")  # set back an hour; no new ack is needed to see it
        wait_until(
            lambda: _status(node)["alarm"] == "clock_off", timeout=10, what="the clock alarm"
        )
        refused = _move(node.url, dossier, "start", node.headers)
        assert refused.status_code == 503 and "behind the city's" in refused.json()["detail"]
        assert _get(node, f"/api/v1/dossiers/{dossier}")["status"] == 2
        skew_file.write_text("0")  # set right again
        wait_until(lambda: _status(node)["alarm"] is None, timeout=10, what="the alarm cleared")
        started = _move(node.url, dossier, "start", node.headers)
        assert started.status_code == 201, started.text
        wait_converged(node.data_dir, central, NODE, timeout=60)
