"""``motcua central serve`` as a real process, and the catalog/calendar push commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from central.runtime import open_central
from cli import cli
from cli.central_cmd import initialise
from sync import wire
from sync.topics import Lane
from tests.central.fake_node import FakeNode
from tests.central.test_receiver_mqtt import NodeLink
from tests.support.live_node import free_port
from tests.support.mosquitto import Mosquitto
from tests.support.mqtt_client import MqttTestClient
from tests.support.wait import wait_until

NODE = "xa-an-binh"


class LiveCentral:
    def __init__(self, data_dir: Path, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}
        self.port = free_port()
        self.log = data_dir.parent / "central-serve.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "central", "serve", "--data-dir", str(data_dir),
                 "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        return httpx.get(self.url + path, headers=self.headers, timeout=5).json()

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"central serve exited:\n{self.log.read_text()}")
        try:
            return bool(self.get("/healthz")["mqtt"]["subscribed"])
        except httpx.HTTPError:
            return False

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return int(self.process.returncode)


@pytest.fixture
def live_central(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[LiveCentral]:
    city = tmp_path / "city"
    initialise(city, f"mqtt://{mosquitto.host}:{mosquitto.port}")
    # The city's administrator and a token, made with the commands an operator runs.
    runner = CliRunner()
    add = ["central", "user", "add", "so-noi-vu", "--role", "admin", "--data-dir", str(city)]
    added = runner.invoke(cli, add, input="mat-khau-so-noi-vu\n")
    assert added.exit_code == 0, added.output
    made = runner.invoke(cli, ["central", "token", "create", "so-noi-vu", "--data-dir", str(city)])
    assert made.exit_code == 0, made.output
    central = LiveCentral(city, made.output.strip())
    try:
        wait_until(central.ready, timeout=30, interval=0.1, what="central serve to subscribe")
        yield central
    finally:
        central.stop()


def test_serve_receives_answers_and_sends_city_events_down(
    live_central: LiveCentral, mosquitto: Mosquitto, clients: list[MqttTestClient]
) -> None:
    node = FakeNode(NODE)
    dossier = node.receive()
    link = NodeLink(clients, mosquitto.host, mosquitto.port, node)
    link.send(node.birth())
    link.sync_events()
    (row,) = live_central.get("/api/v1/nodes")
    assert (row["node_id"], row["online"], row["acked_seq"]) == (NODE, True, 1)
    response = httpx.post(
        f"{live_central.url}/api/v1/dossiers/{dossier}/transitions",
        json={"action": "start"},
        headers=live_central.headers,
        timeout=5,
    )
    assert response.status_code == 201, response.text
    batch = link.wait(wire.DownBatch, lambda b: b.first_seq == 1)
    assert batch.events[0].actor == "central:so-noi-vu"
    link.send(node.up(Lane.CONTROL, wire.DownAck(NODE, "central", 1)))
    wait_until(lambda: live_central.get(f"/api/v1/nodes/{NODE}")["down_acked_seq"] == 1)
    # uvicorn re-raises SIGTERM after a clean shutdown (exit status -15).
    assert live_central.stop() in (0, -signal.SIGTERM)
    log = live_central.log.read_text()
    assert "event=batch" in log and "event=receiver_stopped" in log, log


def test_serve_refuses_a_bad_config_with_exit_3(tmp_path: Path) -> None:
    (tmp_path / "central.toml").write_text('[broker]\nurl = "ftp://x"\n')
    result = CliRunner().invoke(cli, ["central", "serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 3 and "broker.url" in result.output


def test_catalog_and_calendar_push_append_per_node(tmp_path: Path) -> None:
    city = tmp_path / "city"
    initialise(city, "mqtt://127.0.0.1:1883")
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[[procedure]]\ncode = "1.000894"\nversion = "2027.1"\nname = "Đăng ký kết hôn"\n'
        'field = "Hộ tịch"\ntime_limit = 3\ntime_unit = "working_days"\n'
        'online_level = "partial"\ncomponents = ["Tờ khai"]\n'
    )
    calendar = tmp_path / "calendar.toml"
    calendar.write_text('[[day]]\ndate = 2027-09-03\nkind = "holiday"\nname = "Quốc khánh"\n')
    runner = CliRunner()
    base = ["central", "catalog", "push", "--data-dir", str(city), str(catalog)]
    first = runner.invoke(cli, [*base, "--node", NODE, "--node", "xa-b"])
    assert first.exit_code == 0, first.output
    assert f"{NODE}: 1 of 1 entries appended" in first.output
    again = runner.invoke(cli, [*base, "--all"])
    assert again.exit_code == 0 and f"{NODE}: 0 of 1" in again.output
    days = runner.invoke(
        cli, ["central", "calendar", "push", "--data-dir", str(city), str(calendar), "--all"]
    )
    assert days.exit_code == 0 and "xa-b: 1 of 1" in days.output
    assert runner.invoke(cli, [*base]).exit_code == 2  # neither --node nor --all
    assert runner.invoke(cli, [*base, "--node", "Bad Id"]).exit_code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[[procedure]]\ncode = 1\n")
    assert runner.invoke(cli, [*base[:-1], str(bad), "--all"]).exit_code == 2
    rt = open_central(city)
    try:
        assert [r.kind for r in rt.store.down_events(NODE, 0, 10)] == [
            "procedure_upserted",
            "calendar_day_set",
        ]
    finally:
        rt.close()
