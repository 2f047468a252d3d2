"""A paho-mqtt v5 client for tests that records what happened and lets tests wait for it.

paho reports everything through callbacks on its network thread; this wrapper turns
them into state guarded by one condition variable, with blocking helpers that time out
with a clear message instead of hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """CA to trust, and optionally the client's certificate and key."""

    ca: Path
    cert: Path | None = None
    key: Path | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """One delivered message."""

    topic: str
    payload: bytes


class MqttFailure(AssertionError):
    """Connecting, subscribing or publishing did not go as the test expected."""


class MqttTestClient:
    """One MQTT v5 connection, no automatic reconnect; close() is idempotent."""

    def __init__(
        self,
        client_id: str,
        *,
        tls: TlsFiles | None = None,
        username: str | None = None,
        will: tuple[str, bytes] | None = None,
        clean_start: bool = True,
        session_expiry: int = 0,
    ) -> None:
        self.client_id = client_id
        self._clean_start = clean_start
        self._session_expiry = session_expiry
        self._cond = threading.Condition()
        self._connect_result: ReasonCode | None = None
        self._disconnects: list[ReasonCode] = []
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._pubacks: dict[int, ReasonCode] = {}
        self._messages: list[Received] = []
        self._loop_started = False

        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=False,
        )
        if tls is not None:
            c.tls_set(
                ca_certs=str(tls.ca),
                certfile=str(tls.cert) if tls.cert else None,
                keyfile=str(tls.key) if tls.key else None,
            )
        if username is not None:
            c.username_pw_set(username, "unused")
        if will is not None:
            c.will_set(will[0], will[1], qos=1)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.on_publish = self._on_publish
        c.on_message = self._on_message
        self.paho = c

    # -- paho callbacks (network thread) ----------------------------------------------

    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        with self._cond:
            self._connect_result = rc
            self._cond.notify_all()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        with self._cond:
            self._disconnects.append(rc)
            self._cond.notify_all()

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, rcs: list[ReasonCode], _p: Any) -> None:
        with self._cond:
            self._subacks[mid] = rcs
            self._cond.notify_all()

    def _on_publish(self, _c: Any, _u: Any, mid: int, rc: ReasonCode, _p: Any) -> None:
        with self._cond:
            self._pubacks[mid] = rc
            self._cond.notify_all()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self._messages.append(Received(msg.topic, bytes(msg.payload)))
            self._cond.notify_all()

    # -- test-facing API -----------------------------------------------------------------

    def _wait(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MqttFailure(f"{self.client_id}: timed out after {timeout}s: {what}")
                self._cond.wait(left)

    def try_connect(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> str | None:
        """Connect; None on success, otherwise a description of why it failed."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self._session_expiry
        try:
            self.paho.connect(
                host, port, keepalive=60, clean_start=self._clean_start, properties=props
            )
        except OSError as exc:  # refused, reset, TLS handshake failure (ssl.SSLError)
            return f"connect raised {exc!r}"
        self.paho.loop_start()
        self._loop_started = True
        self._wait(
            lambda: self._connect_result is not None or bool(self._disconnects),
            timeout,
            "CONNACK or disconnect",
        )
        if self._connect_result is not None and not self._connect_result.is_failure:
            return None
        return f"connect result {self._connect_result}, disconnects {self._disconnects}"

    def connect(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Connect or raise ``MqttFailure``."""
        failure = self.try_connect(host, port, timeout)
        if failure is not None:
            raise MqttFailure(f"{self.client_id}: {failure}")

    def subscribe(
        self, topic: str, qos: int = 1, timeout: float = DEFAULT_TIMEOUT
    ) -> list[ReasonCode]:
        """Subscribe and return the SUBACK reason codes."""
        result, mid = self.paho.subscribe(topic, qos=qos)
        if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise MqttFailure(f"{self.client_id}: subscribe {topic!r} failed: {result}")
        self._wait(lambda: mid in self._subacks, timeout, f"SUBACK for {topic!r}")
        return self._subacks[mid]

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, timeout: float = DEFAULT_TIMEOUT
    ) -> ReasonCode | None:
        """Publish; for QoS 1 wait for the PUBACK and return its reason code."""
        info = self.paho.publish(topic, payload, qos=qos)
        if qos == 0:
            info.wait_for_publish(timeout)
            return None
        self._wait(lambda: info.mid in self._pubacks, timeout, f"PUBACK for {topic!r}")
        return self._pubacks[info.mid]

    def publish_nowait(self, topic: str, payload: bytes, qos: int = 1) -> int:
        """Queue a publish and return its mid without waiting for anything."""
        return self.paho.publish(topic, payload, qos=qos).mid

    @property
    def messages(self) -> list[Received]:
        with self._cond:
            return list(self._messages)

    @property
    def connected(self) -> bool:
        return self.paho.is_connected()

    @property
    def disconnects(self) -> list[ReasonCode]:
        with self._cond:
            return list(self._disconnects)

    def wait_for_message(
        self, predicate: Callable[[Received], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> Received:
        """The first message (already received or arriving) that ``predicate`` accepts."""
        found: list[Received] = []

        def ready() -> bool:
            found[:] = [m for m in self._messages if predicate(m)][:1]
            return bool(found)

        self._wait(ready, timeout, "a matching message")
        return found[0]

    def wait_for_disconnect(self, timeout: float = DEFAULT_TIMEOUT) -> ReasonCode:
        self._wait(lambda: bool(self._disconnects), timeout, "disconnect")
        return self._disconnects[0]

    def close(self) -> None:
        """Disconnect cleanly if connected and stop the network thread."""
        if self.paho.is_connected():
            self.paho.disconnect()
        if self._loop_started:
            self.paho.loop_stop()
            self._loop_started = False
