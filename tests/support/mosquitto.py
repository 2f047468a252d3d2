"""A real Mosquitto broker process for tests, on a free port of its own.

Never the system broker on 1883: every instance gets a generated config in its own
directory, a free port, persistence in that directory (so restarts can be tested), and a
log file that start-up errors quote. Readiness is a real MQTT CONNECT answered by a
CONNACK, polled until it arrives or the process dies; there is no fixed sleep.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Final, Self

MOSQUITTO_BINARY: Final = "/usr/sbin/mosquitto"
HOST: Final = "127.0.0.1"
_PR_SET_PDEATHSIG: Final = 1

#: MQTT 3.1.1 CONNECT, clean session, keepalive 10 s, client id "readiness-probe".
_PROBE_CONNECT: Final = (
    b"\x10\x1b"  # CONNECT, remaining length 27
    b"\x00\x04MQTT\x04\x02\x00\x0a"  # protocol name, level 4, clean session, keepalive
    b"\x00\x0freadiness-probe"  # client id
)
_DISCONNECT: Final = b"\xe0\x00"
#: Per-attempt socket timeout; short, so a dead start is noticed quickly.
_PROBE_TIMEOUT: Final = 0.5


class MosquittoError(RuntimeError):
    """The broker would not start or stop; the message quotes the end of its log."""


def _ephemeral_range() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now, outside the kernel's ephemeral range.

    A broker restarted on its port must find it free: an ephemeral port (the kernel's
    pick for ``bind(0)``) can meanwhile become the local end of any outgoing connection,
    even a client reconnecting to this very broker, and the restart would then fail
    with "Address already in use".
    """
    ephemeral = _ephemeral_range()
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10_000, 65_000)
        if port in ephemeral:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise MosquittoError("no free port outside the ephemeral range")


def persistence_dir(workdir: Path) -> Path:
    """Where a broker working in ``workdir`` keeps its database (created by ``Mosquitto``)."""
    return workdir / "persistence"


def plain_config(workdir: Path) -> Callable[[int], str]:
    """Config for an anonymous plain-TCP broker with persistence under ``workdir``."""

    def render(port: int) -> str:
        return "\n".join(
            [
                f"listener {port} {HOST}",
                "allow_anonymous true",
                "persistence true",
                f"persistence_location {persistence_dir(workdir)}/",
            ]
        )

    return render


# Resolved here, not in the child: after fork() only async-signal-safe work is wise.
_prctl: Final = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> None:
    # Runs in the child before exec: if the pytest worker dies without cleaning up,
    # the kernel kills the broker too. Tied to the forking thread, so start brokers
    # from the test's main thread.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Mosquitto:
    """One broker process; ``start``/``stop``/``kill`` may be repeated on the same port."""

    def __init__(
        self,
        workdir: Path,
        config_for_port: Callable[[int], str],
        *,
        port: int | None = None,
        probe_ssl: ssl.SSLContext | None = None,
    ) -> None:
        """``config_for_port(port)`` renders the config; a port is picked if none is given.

        ``probe_ssl`` wraps the readiness probe for a TLS listener (it needs a client
        certificate when the broker requires one).
        """
        self.host = HOST
        self.workdir = workdir
        self._config_for_port = config_for_port
        self._port_fixed = port is not None
        self.port = port if port is not None else free_port()
        self._probe_ssl = probe_ssl
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_once = False
        self._log_offset = 0
        self.config_path = workdir / "mosquitto.conf"
        self.log_path = workdir / "mosquitto.log"
        persistence_dir(workdir).mkdir(parents=True, exist_ok=True)

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def log_text(self) -> str:
        """Everything the broker logged so far (across restarts)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, timeout: float = 60.0) -> Self:
        """Start the broker and return once it answers CONNECT with a CONNACK.

        The first start retries on a fresh port if ours was taken in the meantime;
        later starts reuse the same port, as a restarted broker would.
        """
        if self.running:
            raise MosquittoError(f"broker on port {self.port} is already running")
        attempts = 3 if not (self._port_fixed or self._started_once) else 1
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
            except MosquittoError as exc:
                if attempt + 1 < attempts and "Address already in use" in str(exc):
                    self.port = free_port()
                    continue
                raise
            self._started_once = True
            return self
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> None:
        lines = [self._config_for_port(self.port), "log_dest stderr", "log_type all"]
        if os.geteuid() == 0:
            # Started as root, mosquitto drops to user "mosquitto" before it reads
            # certificates, the ACL and the persistence directory, all of which live
            # in a root-only temp dir here. Test-only: production runs unprivileged.
            lines.append("user root")
        self.config_path.write_text("\n".join(lines) + "\n")
        # Only this start's log lines belong in an error message.
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [MOSQUITTO_BINARY, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self._terminate(signal.SIGKILL, timeout=5.0)
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise MosquittoError(
                    f"mosquitto exited with status {self._proc.returncode} while starting on "
                    f"port {self.port}:\n{self._log_tail()}"
                )
            try:
                self._probe()
                return
            except (OSError, ProbeError) as exc:
                last_error = exc
            time.sleep(0.01)
        raise MosquittoError(
            f"mosquitto did not answer CONNECT on port {self.port} within {timeout}s "
            f"(last error: {last_error!r}):\n{self._log_tail()}"
        )

    def _probe(self) -> None:
        """One CONNECT/CONNACK round trip; raises if the broker is not serving yet."""
        with contextlib.ExitStack() as stack:
            sock = stack.enter_context(
                socket.create_connection((self.host, self.port), timeout=_PROBE_TIMEOUT)
            )
            if self._probe_ssl is not None:
                # wrap_socket takes over the descriptor; the wrapper must be closed too.
                sock = stack.enter_context(
                    self._probe_ssl.wrap_socket(sock, server_hostname=self.host)
                )
            sock.sendall(_PROBE_CONNECT)
            reply = b""
            while len(reply) < 4:
                chunk = sock.recv(4 - len(reply))
                if not chunk:
                    raise ProbeError("connection closed before CONNACK")
                reply += chunk
            if reply[:2] != b"\x20\x02":
                raise ProbeError(f"expected CONNACK, got {reply!r}")
            # Any CONNACK proves the broker is serving, even a refusal.
            with contextlib.suppress(OSError):
                sock.sendall(_DISCONNECT)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_bytes()[self._log_offset :].decode(errors="replace")
        except FileNotFoundError:
            text = ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: a clean shutdown that saves the persistence database."""
        self._terminate(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """SIGKILL: a crash; whatever was not yet saved to persistence is lost."""
        self._terminate(signal.SIGKILL, timeout=5.0)

    def _terminate(self, sig: signal.Signals, timeout: float) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5.0)
            raise MosquittoError(
                f"mosquitto ignored {sig.name} for {timeout}s:\n{self._log_tail()}"
            ) from None

    def close(self) -> None:
        """Stop the broker if it runs; safe to call twice."""
        try:
            self.stop()
        finally:
            if self.running:
                self.kill()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ProbeError(Exception):
    """The readiness probe reached the port but did not get a CONNACK."""
