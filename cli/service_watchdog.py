"""Readiness and the watchdog of a ``Type=notify`` service, fed only while its loops live.

systemd (``WatchdogSec=``) restarts a service that stops sending ``WATCHDOG=1``. A thread
that pinged on a timer would keep pinging while the ingest or replication loop hangs (a
blocked network mount, a wedged socket), so the pings here are conditional: each loop
records a heartbeat (``time.monotonic()`` at every turn) and a ping goes out only while
every watched loop has beaten within ``hung_after`` seconds. A hung loop stops the pings;
systemd then kills and restarts the process, which is what we want.

``READY=1`` goes out once the process listens and every watched loop has turned once (the
database is open before anything is watched). The status line (``systemctl status``)
says which loop is hung. Without ``$NOTIFY_SOCKET`` the watchdog does nothing at all.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

from cli.sd_notify import notify, notify_socket_address

log = logging.getLogger("motcua.watchdog")

#: A heartbeat: ``time.monotonic()`` of the loop's last turn, or None before its first.
Heartbeat = Callable[[], float | None]

#: Ping this many times per watchdog period (sd_watchdog_enabled(3) asks for at least 2).
PINGS_PER_PERIOD: Final = 4
#: Readiness is checked this often before the first ping period is known.
_READY_POLL: Final = 0.05


def watchdog_seconds(environ: Mapping[str, str]) -> float | None:
    """The watchdog period systemd set for this process (``WATCHDOG_USEC``), or None."""
    pid = environ.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None  # meant for another process (e.g. our parent)
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 1_000_000 if usec > 0 else None


class ServiceWatchdog:
    """``watch`` each loop as it starts, ``mark_listening`` once the port is bound, ``start``;
    ``stop`` on shutdown. ``hung_after`` and ``ping_every`` default from ``WATCHDOG_USEC``
    (half and a quarter of the period)."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        hung_after: float | None = None,
        ping_every: float | None = None,
    ) -> None:
        env = dict(os.environ if environ is None else environ)
        self._environ = env
        self.enabled = notify_socket_address(env) is not None
        period = watchdog_seconds(env)
        self.hung_after = hung_after if hung_after is not None else (period or 0) / 2
        self.ping_every = ping_every if ping_every is not None else (period or 0) / PINGS_PER_PERIOD
        self.pinging = self.enabled and self.ping_every > 0 and self.hung_after > 0
        self._loops: dict[str, tuple[Heartbeat, float]] = {}
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready_sent = False

    def watch(self, name: str, heartbeat: Heartbeat) -> None:
        """Watch a loop from now on (before its first beat, it counts from now)."""
        with self._lock:
            self._loops[name] = (heartbeat, time.monotonic())

    def mark_listening(self) -> None:
        self._listening.set()

    def hung_loops(self, now: float | None = None) -> list[str]:
        """Names of the watched loops silent for longer than ``hung_after``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            loops = list(self._loops.items())
        return sorted(
            name for name, (beat, since) in loops if now - _last(beat, since) > self.hung_after > 0
        )

    def start(self) -> None:
        if not self.enabled or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="sd-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Tell systemd we are stopping and end the thread; idempotent."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            notify("STOPPING=1", self._environ)

    def _all_turned(self) -> bool:
        with self._lock:
            return all(beat() is not None for beat, _ in self._loops.values())

    def _run(self) -> None:
        while not (self._listening.is_set() and self._all_turned()):
            if self._stop.wait(_READY_POLL):
                return
        with self._lock:
            names = ", ".join(sorted(self._loops)) or "none"
        notify(f"READY=1\nSTATUS=serving; loops: {names}", self._environ)
        self.ready_sent = True
        log.info("event=service_ready loops=%s", names)
        if not self.pinging:
            return
        was_hung: list[str] = []
        while not self._stop.wait(self.ping_every):
            hung = self.hung_loops()
            if not hung:
                notify("WATCHDOG=1", self._environ)
                if was_hung:
                    notify("STATUS=serving; loops turn again", self._environ)
                    log.warning("event=loops_turn_again loops=%s", ",".join(was_hung))
            elif hung != was_hung:  # one log line and status per episode, not per period
                text = ", ".join(hung)
                notify(f"STATUS=hung loop(s): {text}; watchdog pings stopped", self._environ)
                log.error("event=loop_hung loops=%s hung_after=%.0fs", text, self.hung_after)
            was_hung = hung


def _last(beat: Heartbeat, since: float) -> float:
    value = beat()
    return since if value is None else max(value, since)
