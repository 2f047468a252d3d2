"""The systemd side of ``$NOTIFY_SOCKET`` for tests: a bound unix datagram socket."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.wait import wait_until


class NotifyListener:
    """The systemd side: a bound datagram socket collecting what the service sends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def next(self, timeout: float) -> str | None:
        """The next datagram, or None if none came within ``timeout`` seconds."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096).decode()
        except TimeoutError:
            return None

    def wait_for(self, predicate: str, timeout: float = 60.0) -> list[str]:
        """Every datagram up to and including the first containing ``predicate``."""
        seen: list[str] = []

        def arrived() -> bool:
            message = self.next(0.2)
            if message is not None:
                seen.append(message)
            return message is not None and predicate in message

        wait_until(arrived, timeout=timeout, interval=0, what=f"{predicate!r} (got {seen})")
        return seen

    def quiet_for(self, seconds: float, seen: list[str]) -> bool:
        """True if nothing arrives for ``seconds``; else adds what came to ``seen``."""
        message = self.next(seconds)
        if message is None:
            return True
        seen.append(message)
        return False

    def close(self) -> None:
        self.sock.close()
