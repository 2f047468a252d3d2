"""systemd's notify protocol, written by hand: one datagram to ``$NOTIFY_SOCKET``.

The protocol is a single ``sendto`` of ``KEY=VALUE`` lines on a unix datagram socket
(sd_notify(3)); the PyPI ``sdnotify`` package does the same and is unmaintained since 2017,
so these thirty lines are ours. Without ``$NOTIFY_SOCKET`` (not started by systemd with
``Type=notify``) nothing is sent and every call returns False.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def notify_socket_address(environ: Mapping[str, str]) -> str | None:
    """The socket to write to, or None; a leading ``@`` is the abstract namespace."""
    path = environ.get("NOTIFY_SOCKET", "")
    if not path or not (path.startswith("/") or path.startswith("@")):
        return None  # unset, or a form (vsock:...) this service never runs under
    return "\0" + path[1:] if path.startswith("@") else path


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``, ``"WATCHDOG=1"``, ``"STATUS=..."``) to systemd.
    True once sent; False without a socket or when it cannot be reached (never raises:
    a supervisor that went away must not bring the service down)."""
    address = notify_socket_address(os.environ if environ is None else environ)
    if address is None:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.sendto(state.encode(), address)
        except OSError:
            return False
    return True
