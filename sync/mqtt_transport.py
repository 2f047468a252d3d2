"""MQTT v5 transport (paho-mqtt), used purely as a pipe.

paho's in-memory queue dies with the process and its message ids restart on reconnect, so
nothing here is trusted for durability: the caller re-sends from SQLite until the city's
application-level ack arrives. Sessions are clean (nothing depends on the broker keeping
state), and paho's own reconnect loop with backoff keeps the link up.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from sync.transport import Inbound, LinkDown
from sync.wire import MAX_PAYLOAD

log = logging.getLogger("motcua.sync.mqtt")

KEEPALIVE_SECONDS = 20
#: Room in a PUBLISH packet beside its payload: fixed header, topic, packet id, properties.
PACKET_HEADROOM = 1024


@dataclass(frozen=True)
class MqttEndpoint:
    host: str
    port: int
    client_id: str
    subscriptions: tuple[str, ...]
    will_topic: str = ""
    will_payload: bytes = b""
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    # How much paho may buffer; the sender keeps its own window far below this.
    max_inflight: int = 64
    # The will for connection n (1, 2, ...; see ``connection_epoch``), when it names its
    # connection: set before each connect, so each death pairs with its own birth.
    will_for_connection: Callable[[int], bytes] | None = None
    # Messages paho may hold before publish is refused (0: no bound). The sender never
    # hands more than its window, so a full queue means something queued twice.
    max_queued: int = 0


@dataclass(frozen=True)
class _PahoDelivery:
    info: mqtt.MQTTMessageInfo

    def reached_broker(self) -> bool:
        try:
            return self.info.is_published()  # set by paho on the broker's PUBACK (QoS 1)
        except (ValueError, RuntimeError):  # paho's way to say it never went
            return False


class MqttTransport:
    def __init__(self, endpoint: MqttEndpoint) -> None:
        self._endpoint = endpoint
        self._inbox: queue.Queue[Inbound] = queue.Queue()
        self._connected = threading.Event()
        self._epoch = 0
        self._error = ""
        self._max_packet = 0  # the broker's MaximumPacketSize (CONNACK); 0: not announced
        self._lock = threading.Lock()
        self._stopped = False
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=endpoint.client_id,
            protocol=mqtt.MQTTv5,
        )
        client.max_inflight_messages_set(endpoint.max_inflight)
        client.max_queued_messages_set(endpoint.max_queued)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client = client
        self._set_will()
        if endpoint.tls:
            client.tls_set(
                ca_certs=endpoint.ca_file,
                certfile=endpoint.cert_file,
                keyfile=endpoint.key_file,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message

    def start(self) -> None:
        self._client.connect_async(
            self._endpoint.host, self._endpoint.port, keepalive=KEEPALIVE_SECONDS, clean_start=True
        )
        self._client.loop_start()

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._connected.clear()
        # With a will: "disconnect with will message" (MQTT v5 reason 4), so the broker
        # publishes this connection's death even on a clean stop, where it would
        # otherwise discard it and the city would show the node online for good.
        reason = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
        try:
            self._client.disconnect(reasoncode=reason if self._endpoint.will_topic else None)
        finally:
            self._client.loop_stop()

    def _set_will(self) -> None:
        """Register the will of the next connection (paho sends it in CONNECT)."""
        endpoint = self._endpoint
        if not endpoint.will_topic:
            return
        payload = endpoint.will_payload
        if endpoint.will_for_connection is not None:
            payload = endpoint.will_for_connection(self._epoch + 1)
        self._client.will_set(endpoint.will_topic, payload, qos=1, retain=False)

    def is_connected(self) -> bool:
        return self._connected.is_set()

    def connection_epoch(self) -> int:
        return self._epoch

    def last_error(self) -> str:
        return self._error

    def max_payload(self) -> int:
        """paho does not hold a PUBLISH to the broker's announced maximum packet size; the
        broker drops the connection for a larger one, and the sender would send it again
        at every reconnect. So the sender sizes its messages to this."""
        if not self._max_packet:
            return MAX_PAYLOAD
        return max(1024, min(MAX_PAYLOAD, self._max_packet - PACKET_HEADROOM))

    def publish(self, topic: str, payload: bytes) -> _PahoDelivery:
        if not self._connected.is_set():
            raise LinkDown("not connected to the broker")
        info = self._client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise LinkDown(f"publish refused: {mqtt.error_string(info.rc)}")
        return _PahoDelivery(info)

    def receive(self, timeout: float) -> Inbound | None:
        try:
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    # paho callbacks run on paho's network thread: keep them short.
    def _on_connect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, props: Properties | None
    ) -> None:
        if reason.is_failure:
            self._error = f"connect refused: {reason}"
            log.warning("event=connect_failed reason=%s", reason)
            return
        self._max_packet = int(getattr(props, "MaximumPacketSize", 0) or 0)
        for topic in self._endpoint.subscriptions:
            client.subscribe(topic, qos=1)
        self._error = ""
        self._epoch += 1
        self._connected.set()
        log.info("event=connected host=%s port=%s", self._endpoint.host, self._endpoint.port)

    def _on_disconnect(
        self, _c: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Properties | None
    ) -> None:
        if self._connected.is_set():
            log.info("event=disconnected reason=%s", reason)
        self._connected.clear()
        self._forget_unacknowledged()
        self._set_will()  # paho reconnects by itself: the next CONNECT names the next one
        if reason.is_failure:
            self._error = f"disconnected: {reason}"

    def _forget_unacknowledged(self) -> None:
        """Drop paho's queue of QoS 1 messages the broker had not acknowledged.

        paho would replay them after reconnecting, while the link already resends from the
        city's own acknowledgements: every chunk in flight would go up twice (measured: 1.2
        chunks re-sent per cut with the replay, none without). paho 2.x keeps that queue in
        a private attribute with no public way to clear it; the dependency is locked.
        """
        mutex = getattr(self._client, "_out_message_mutex", None)
        queue_ = getattr(self._client, "_out_messages", None)
        if mutex is None or queue_ is None:
            return
        with mutex:
            queue_.clear()

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(Inbound(message.topic, bytes(message.payload)))
