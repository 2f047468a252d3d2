"""Run ``motcua serve`` as a real process on a free port, and wait until it answers."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from node.runtime import open_node
from tests.support.accounts import make_token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveNode:
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    token: str = ""  # an API token of an account holding every staff role

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        """What a script sends to be let in."""
        return {"Authorization": f"Bearer {self.token}"}

    def http(self, timeout: float = 30.0) -> httpx.Client:
        """An HTTP client of the node's API, authenticated by the API token."""
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_node(
    data_dir: Path,
    port: int | None = None,
    timeout: float = 120.0,
    file_limit: int | None = None,
    env: Mapping[str, str] | None = None,
) -> LiveNode:
    """``file_limit``: the process's open-file limit (soft and hard), as a unit would set;
    ``env``: more environment (e.g. ``MOTCUA_CLOCK_SKEW_FILE``, see ``cli/clock_skew.py``)."""
    port = port or free_port()
    token = api_token(data_dir)
    log_path = data_dir.parent / f"serve-{port}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it for its lifetime
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
        preexec_fn=None if file_limit is None else _limit_files(file_limit),
    )
    log.close()
    node = LiveNode(data_dir, port, process, log_path, token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"motcua serve exited with {process.returncode}:\n{node.log()}")
        try:
            if httpx.get(f"{node.url}/healthz", timeout=1.0).status_code == 200:
                return node
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    node.kill()
    raise RuntimeError(f"motcua serve did not answer within {timeout}s:\n{node.log()}")


def api_token(data_dir: Path, user: str = "can-bo") -> str:
    """A new API token of ``user`` (every staff role; created when missing), written into
    the node's database before the server starts."""
    rt = open_node(data_dir)
    try:
        return make_token(rt.db, user)
    finally:
        rt.close()


def _limit_files(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return apply
