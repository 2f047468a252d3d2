"""Presence is exact whatever the order of start, stop, cut, crash and clock change.

Real Mosquitto, the node's sender as ``motcua sync`` and the city as ``motcua central
serve``. What the city shows is read from its API; "it sends the node its events" is shown
by a calendar day pushed at the city reaching the node's log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw
import httpx

from sync import topics, wire
from sync.topics import Lane
from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient
from tests.support.replication import Central, make_central, make_node, motcua, node_log, sync_proc
from tests.support.wait import wait_until

NODE = "xa-presence"
FAST = {"ack_timeout_seconds": "2.0"}


def city_row(central: Central) -> dict[str, Any]:
    response = httpx.get(f"{central.url}/api/v1/nodes/{NODE}", headers=central.headers, timeout=5)
    return dict(response.json()) if response.status_code == 200 else {}


def wait_presence(central: Central, online: bool, what: str, timeout: float = 30) -> None:
    wait_until(
        lambda: city_row(central).get("online") is online,
        timeout=timeout,
        interval=0.2,
        what=f"{what} (city shows {city_row(central)})",
    )


def link_value(node_dir: Path, key: str) -> str:
    """What the node's link last wrote about itself (``sync_link``)."""
    conn = apsw.Connection(str(node_dir / "motcua.sqlite3"), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        row = conn.execute("SELECT value FROM sync_link WHERE key = ?", (key,)).fetchone()
        return "" if row is None else str(row[0])
    finally:
        conn.close()


def push_holiday(central: Central, tmp: Path, day: str) -> None:
    calendar = tmp / f"calendar-{day}.toml"
    calendar.write_text(f'[[day]]\ndate = {day}\nkind = "holiday"\nname = "Nghỉ"\n')
    result = motcua(
        "central", "calendar", "push", "--data-dir", str(central.data_dir), str(calendar),
        "--node", NODE,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def wait_city_events(node_dir: Path, count: int, what: str, timeout: float = 40) -> None:
    def held() -> bool:
        return sum(1 for origin, _ in node_log(node_dir) if origin == "central") >= count

    wait_until(held, timeout=timeout, interval=0.2, what=what)


def test_a_city_started_after_the_node_sees_it_and_sends_to_it(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync=FAST)
    central = make_central(tmp_path, url)
    sender = sync_proc(node_dir).start()
    try:
        # The node is up first: its Birth reaches nobody.
        wait_until(lambda: link_value(node_dir, "connected") == "1", timeout=30, what="link up")
        central.start()
        wait_presence(central, True, "the node online at a city started after it")
        assert city_row(central)["session_started_at"] is not None
        push_holiday(central, tmp_path, "2027-09-03")
        wait_city_events(node_dir, 1, "the pushed holiday at the node")
        # Killed and started again while the node stays connected: the same.
        central.proc.kill()
        central = central.another().start()
        wait_presence(central, True, "the node online at a restarted city")
        push_holiday(central, tmp_path, "2027-09-04")
        wait_city_events(node_dir, 2, "the second holiday at the node")
    finally:
        sender.stop()
        central.proc.stop()


def test_a_node_stopped_cleanly_or_killed_is_shown_offline(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync=FAST)
    central = make_central(tmp_path, url).start()
    sender = sync_proc(node_dir).start()
    try:
        wait_presence(central, True, "the node online")
        sender.stop()  # SIGTERM: the evening shutdown
        assert sender.process is not None and sender.process.returncode == 0, sender.log()
        wait_presence(central, False, "the cleanly stopped node offline")
        sender = sync_proc(node_dir).start()
        wait_presence(central, True, "the node online again")
        sender.kill()  # a power cut: the broker publishes the will of that connection
        wait_presence(central, False, "the killed node offline")
        sender = sync_proc(node_dir).start()
        wait_presence(central, True, "the node online after the kill")
    finally:
        sender.stop()
        central.proc.stop()


def test_a_cut_and_reconnect_in_the_same_process_leaves_the_node_online(
    tmp_path: Path, broker: Mosquitto
) -> None:
    proxy = FaultProxy(broker.host, broker.port)
    node_dir = make_node(tmp_path, NODE, f"mqtt://{proxy.host}:{proxy.port}", sync=FAST)
    central = make_central(tmp_path, f"mqtt://{broker.host}:{broker.port}").start()
    sender = sync_proc(node_dir).start()
    try:
        wait_presence(central, True, "the node online")
        first = city_row(central)["session_started_at"]
        since = link_value(node_dir, "connected_since")
        assert proxy.cut() >= 1  # the broker sees the socket die and publishes the will
        wait_until(
            lambda: link_value(node_dir, "connected_since") not in ("", since),
            timeout=30,
            interval=0.2,
            what="the node reconnected",
        )
        push_holiday(central, tmp_path, "2027-09-03")
        wait_city_events(node_dir, 1, "a holiday pushed after the cut at the node")
        row = city_row(central)
        assert row["online"] is True and row["session_started_at"] == first
        assert sender.running  # the same process throughout
    finally:
        sender.stop()
        central.proc.stop()
        proxy.close()


def test_a_node_clock_set_back_after_a_session_from_the_future(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync=FAST)
    central = make_central(tmp_path, url).start()
    # A session of this node whose clock ran years ahead, then its death.
    ahead = MqttTestClient("node-with-a-clock-ahead")
    try:
        ahead.connect(broker.host, broker.port)
        control = topics.up(NODE, Lane.CONTROL)
        future = "2031-06-01T00:00:00.000000Z"
        ahead.publish(control, wire.encode(wire.Birth(NODE, future, 0, "0.1.0")))
        wait_presence(central, True, "the session from the future online")
        ahead.publish(control, wire.encode(wire.Offline(NODE, future)))
        wait_presence(central, False, "the session from the future ended")
    finally:
        ahead.close()
    sender = sync_proc(node_dir).start()  # the clock is right now: its Birth is "older"
    try:
        wait_presence(central, True, "the node online with its clock set right")
        assert not city_row(central)["session_started_at"].startswith("2031")
        push_holiday(central, tmp_path, "2027-09-03")
        wait_city_events(node_dir, 1, "the holiday at the node")
    finally:
        sender.stop()
        central.proc.stop()
