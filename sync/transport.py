"""The seam between the replication logic and the network (MQTT is one implementation).

The logic above it never sees a socket: it publishes payloads to topics and receives
``Inbound`` items. Delivery is never trusted: "delivered" is an application-level ack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes


class Delivery(Protocol):
    """What became of one published message."""

    def reached_broker(self) -> bool:
        """True once the broker acknowledged it (QoS 1 PUBACK): no longer queued here."""


class Delivered:
    """The ``Delivery`` of a transport that hands a message over at once (in-process)."""

    def reached_broker(self) -> bool:
        return True


class LinkDown(Exception):
    """The transport is not connected; nothing was sent."""


class Transport(Protocol):
    def start(self) -> None:
        """Begin connecting (and reconnecting, with backoff) in the background."""

    def stop(self) -> None:
        """Disconnect and stop; safe to call twice."""

    def is_connected(self) -> bool:
        """True while a connection is up and subscribed."""

    def publish(self, topic: str, payload: bytes) -> Delivery:
        """Hand one QoS 1 message to the connection; raise LinkDown when there is none
        (or when the connection's queue is full)."""

    def receive(self, timeout: float) -> Inbound | None:
        """The next inbound message, or None after ``timeout`` seconds."""

    def connection_epoch(self) -> int:
        """Increases at every new connection, so callers can re-announce themselves."""

    def last_error(self) -> str:
        """The last connection error, '' if none."""

    def max_payload(self) -> int:
        """The largest payload this connection carries: ``wire.MAX_PAYLOAD``, or less when
        the broker announced a smaller maximum packet size (MQTT v5 CONNACK)."""
