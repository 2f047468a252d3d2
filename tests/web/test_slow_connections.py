"""Slow connections cannot take the API down: the file limit the unit gives is never
reached, the episode is logged once with a count, and the API answers again once the slow
request heads have timed out."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live_node import LiveNode, start_node
from tests.support.wait import wait_until
from web.json_api.connections import HEADER_TIMEOUT

FILE_LIMIT = 512  # the bound is then 256 connections
SLOW_CONNECTIONS = 700


@pytest.fixture
def small_node(node_dir: Path) -> Iterator[LiveNode]:
    node = start_node(node_dir, file_limit=FILE_LIMIT)
    yield node
    node.stop()


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:  # refused while the bound is full
        return False


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_slow_connections_are_bounded_and_logged_once(small_node: LiveNode) -> None:
    slow: list[socket.socket] = []
    try:
        for _ in range(SLOW_CONNECTIONS):
            s = socket.create_connection(("127.0.0.1", small_node.port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # a head that never completes
            slow.append(s)
        assert open_files(small_node.process.pid) < FILE_LIMIT
        # The slow heads are closed after HEADER_TIMEOUT; then the API answers again.
        wait_until(
            lambda: answers(small_node.url),
            timeout=HEADER_TIMEOUT + 20,
            interval=0.2,
            what="the API after the slow connections",
        )
        assert open_files(small_node.process.pid) < FILE_LIMIT
        wait_until(
            lambda: "http_connections_refused_end" in small_node.log(),
            timeout=30,
            what="the end of the episode in the log",
        )
    finally:
        for s in slow:
            s.close()
    log = small_node.log()
    assert log.count("http_connections_refused_begin") == 1, log[-3000:]
    [end] = [line for line in log.splitlines() if "http_connections_refused_end" in line]
    refused = int(end.split("count=")[1].split()[0])
    assert refused >= SLOW_CONNECTIONS - FILE_LIMIT, end
    assert "Traceback" not in log and len(log) < 20_000, log[-3000:]
