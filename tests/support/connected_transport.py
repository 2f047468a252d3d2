"""The part of a test ``Transport`` (sync/transport.py) that is always connected: no broker,
one connection for ever, the wire's payload limit, and an inbox of what the node receives.
``ScriptedTransport`` (the test plays the city) and ``tests/central/loopback.Loopback`` (a
real city handler in-process) add what they publish and how they wait."""

from __future__ import annotations

import queue

from sync import wire
from sync.transport import Inbound


class ConnectedTransport:
    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def is_connected(self) -> bool:
        return True

    def connection_epoch(self) -> int:
        return 1

    def last_error(self) -> str:
        return ""

    def max_payload(self) -> int:
        return wire.MAX_PAYLOAD
