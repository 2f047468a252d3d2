"""The demo's other processes: a Mosquitto broker and a city data centre, started and
stopped by ``motcua demo`` itself, all on embedded defaults under one folder."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

MOSQUITTO_PATHS = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class DemoError(Exception):
    pass


def _mosquitto_binary() -> str:
    for candidate in MOSQUITTO_PATHS:
        found = shutil.which(candidate)
        if found:
            return found
    raise DemoError(
        "mosquitto is not installed; scripts/demo installs it (apt-get install mosquitto)"
    )


def _wait_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"{what} exited at start; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise DemoError(f"{what} did not listen on port {port} within 30 s; see {log}")


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    _STARTED.append(process)
    atexit.register(stop_all)
    return process


def stop_all() -> None:
    """Stop every process the demo started (newest first); safe to call twice."""
    while _STARTED:
        _stop(_STARTED.pop())


_STARTED: list[subprocess.Popen[bytes]] = []


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def start_broker(root: Path, port: int) -> subprocess.Popen[bytes]:
    workdir = root / "broker"
    (workdir / "persistence").mkdir(parents=True, exist_ok=True)
    config = workdir / "mosquitto.conf"
    lines = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "persistence true",
        f"persistence_location {workdir / 'persistence'}/",
    ]
    if os.geteuid() == 0:
        lines.append("user root")  # otherwise it drops to 'mosquitto' and cannot write here
    config.write_text("\n".join(lines) + "\n")
    log = workdir / "mosquitto.log"
    process = _spawn([_mosquitto_binary(), "-c", str(config)], log)
    _wait_port(port, process, "the broker", log)
    return process


def start_central(root: Path, broker_url: str, port: int) -> subprocess.Popen[bytes]:
    central_dir = root / "central"
    if not (central_dir / "central.toml").exists():
        from central.accounts_db import open_accounts
        from cli.central_cmd import initialise
        from cli.demo_accounts import create_city_demo_accounts

        initialise(central_dir, broker_url)
        accounts_db = open_accounts(central_dir)  # before serve opens it too
        try:
            create_city_demo_accounts(accounts_db, root)
        finally:
            accounts_db.close()
    log = root / "central.log"
    process = _spawn(
        [
            sys.executable,
            "-m",
            "cli",
            "central",
            "serve",
            "--data-dir",
            str(central_dir),
            "--port",
            str(port),
        ],
        log,
    )
    _wait_port(port, process, "the city data centre", log)
    return process
