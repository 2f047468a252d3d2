"""systemd readiness and watchdog over a real unix datagram socket (``$NOTIFY_SOCKET``).

The loops are real: an ingest service on a real drop folder in-process, and ``motcua
serve`` as a process. A hang is real too: the ingest loop's thread blocks on an Event.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.sd_notify import notify, notify_socket_address
from cli.service_watchdog import ServiceWatchdog, watchdog_seconds
from node.runtime import open_node
from scanner_ingest.service import IngestService
from tests.scanner_ingest.ingest_support import configure, folder
from tests.support.live_node import start_node
from tests.support.notify_socket import NotifyListener
from tests.support.wait import wait_until


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[NotifyListener]:
    path = tmp_path / "notify.sock"
    assert len(str(path)) < 100, "unix socket paths are limited to 107 bytes"
    sock = NotifyListener(path)
    try:
        yield sock
    finally:
        sock.close()


def test_notify_sends_one_datagram_to_the_socket(listener: NotifyListener) -> None:
    assert notify("READY=1\nSTATUS=up", {"NOTIFY_SOCKET": str(listener.path)})
    assert listener.next(5.0) == "READY=1\nSTATUS=up"


def test_nothing_is_sent_without_notify_socket(listener: NotifyListener) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    assert notify("READY=1", env) is False
    watchdog = ServiceWatchdog(env, hung_after=1.0, ping_every=0.01)
    watchdog.mark_listening()
    watchdog.start()  # no socket: no thread, nothing sent anywhere
    watchdog.stop()
    assert not watchdog.enabled and not watchdog.ready_sent
    assert listener.next(0.3) is None


def test_socket_addresses_and_watchdog_period() -> None:
    assert notify_socket_address({"NOTIFY_SOCKET": "@motcua/notify"}) == "\0motcua/notify"
    assert notify_socket_address({"NOTIFY_SOCKET": "relative/path"}) is None
    assert notify_socket_address({}) is None
    assert watchdog_seconds({"WATCHDOG_USEC": "180000000"}) == 180.0
    own = {"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_seconds(own) == 4.0
    assert watchdog_seconds({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_seconds({"WATCHDOG_USEC": "soon"}) is None


def test_an_unreachable_socket_is_not_an_error(tmp_path: Path) -> None:
    assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False


def test_pings_stop_while_the_ingest_loop_hangs_and_resume_after(
    node_dir: Path, tmp_path: Path, listener: NotifyListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    configure(node_dir, [folder(share, name="may-1")])
    rt = open_node(node_dir)
    service = IngestService(rt)
    watchdog = ServiceWatchdog(
        {"NOTIFY_SOCKET": str(listener.path)}, hung_after=3.0, ping_every=0.1
    )
    try:
        service.start()
        watchdog.watch("ingest", lambda: service.last_beat)
        watchdog.start()
        watchdog.mark_listening()
        assert "READY=1" in listener.wait_for("READY=1")[-1]
        listener.wait_for("WATCHDOG=1")

        # Hang the loop for real: its next turn blocks its thread on an Event.
        entered, release = threading.Event(), threading.Event()
        finish_done = service._finish_done

        def hang() -> None:
            entered.set()
            release.wait()
            finish_done()

        monkeypatch.setattr(service, "_finish_done", hang)
        assert entered.wait(30), "the ingest loop never reached its next turn"
        seen = listener.wait_for("STATUS=hung loop(s): ingest")
        # While it stays blocked nothing at all is sent: read until 20 ping periods pass in
        # silence (a loop slow for a moment earlier may have left a status and pings before).
        wait_until(
            lambda: listener.quiet_for(2.0, seen),
            timeout=60,
            interval=0,
            what=f"the pings to stop (got {seen[-5:]})",
        )
        assert "STATUS=hung loop(s): ingest" in [m for m in seen if "STATUS=" in m][-1]
        assert watchdog.hung_loops() == ["ingest"]

        release.set()  # the loop turns again: so do the pings
        listener.wait_for("WATCHDOG=1")
        assert watchdog.hung_loops() == []
    finally:
        release.set()
        watchdog.stop()
        service.stop()
        rt.close()


def test_motcua_serve_says_ready_then_pings(
    node_dir: Path, tmp_path: Path, listener: NotifyListener
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    configure(node_dir, [folder(share, name="may-1")])
    env = {"NOTIFY_SOCKET": str(listener.path), "WATCHDOG_USEC": "2000000"}
    node = start_node(node_dir, env=env, timeout=120)
    try:
        ready = listener.wait_for("READY=1", timeout=120)[-1]
        assert "loops: ingest" in ready
        listener.wait_for("WATCHDOG=1", timeout=60)
        node.stop()
        listener.wait_for("STOPPING=1", timeout=60)
    finally:
        node.kill()
