"""A transport for NodeLink tests: connected at once, keeps what the link publishes and
hands it the city's replies the test queues (no broker: the order is the test's)."""

from __future__ import annotations

import queue

from sync import topics, wire
from sync.topics import Lane
from sync.transport import Delivered, Inbound
from tests.support.connected_transport import ConnectedTransport


class ScriptedTransport(ConnectedTransport):
    """Connected at once; keeps what the link publishes, hands it what the test queues."""

    def __init__(self, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id
        self.sent: list[wire.Message] = []

    def publish(self, topic: str, payload: bytes) -> Delivered:
        self.sent.append(wire.decode(payload))
        return Delivered()

    def receive(self, timeout: float) -> Inbound | None:
        try:
            return self.inbox.get_nowait()
        except queue.Empty:
            return None

    def reply(self, message: wire.Message) -> None:
        self.inbox.put(Inbound(topics.down(self.node_id, Lane.CONTROL), wire.encode(message)))

    def batches_from(self, start: int) -> list[int]:
        """The first seq of every batch sent since ``sent[start]``."""
        return [m.first_seq for m in self.sent[start:] if isinstance(m, wire.EventBatch)]
