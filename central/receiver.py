"""The city's MQTT client: bytes from the broker into ``MessageHandler``, replies back out.

paho-mqtt is only the pipe. Sessions start clean and expire at once: nothing depends on
the broker remembering us, because a node resends until it gets the application-level
ack, which is published only after the store committed. With ``[receiver] shared_group``
the subscription is ``$share/<group>/motcua/v1/+/up/#`` (MQTT v5), so several receiver
processes split the load; the store's per-node lock keeps that correct.

One thread runs the connect/serve/back-off loop in the aiomqtt shape: ``while True: try
connect and serve; except: log; sleep with backoff``. The handler runs on that thread,
inside paho's ``loop()``, so a slow commit slows the intake (backpressure) instead of
queueing messages in memory.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from typing import Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from central.message_handler import MessageHandler, Outgoing
from settings.city import BrokerAddress
from sync import topics, wire

log = logging.getLogger("motcua.central.receiver")

BACKOFF_FIRST: Final = 0.5
BACKOFF_MAX: Final = 30.0
CONNECT_TIMEOUT: Final = 15.0
_LOOP_TIMEOUT: Final = 0.1


class BrokerLost(Exception):
    """The connection ended or never came up; the loop backs off and reconnects."""


def subscription(shared_group: str) -> str:
    """The filter the receiver subscribes to (shared when a group is set)."""
    return f"$share/{shared_group}/{topics.ALL_UP}" if shared_group else topics.ALL_UP


class Receiver:
    def __init__(
        self,
        handler: MessageHandler,
        broker: BrokerAddress,
        *,
        name: str,
        shared_group: str,
        keepalive: int = 30,
        pending_down: queue.SimpleQueue[str] | None = None,
        tick_seconds: float = 1.0,
    ) -> None:
        self.handler = handler
        self.broker = broker
        self.client_id = f"central-{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.filter = subscription(shared_group)
        self.keepalive = keepalive
        self.pending_down = pending_down if pending_down is not None else queue.SimpleQueue()
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._connected = False
        self._subscribed = False
        self._lost = False
        self._was_up = False
        self.connects = 0
        self.last_error: str | None = None
        #: time.monotonic() of the loop's last turn (None before the first): the service
        #: watchdog pings systemd only while it moves. A back-off wait (at most
        #: BACKOFF_MAX) and a connect (CONNECT_TIMEOUT) fit well within the units' limit.
        self.last_beat: float | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="central-receiver", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect and join the thread; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
            log.info("event=receiver_stopped client_id=%s", self.client_id)

    @property
    def subscribed(self) -> bool:
        """Connected and subscribed: messages are flowing."""
        with self._state_lock:
            return self._connected and self._subscribed

    def status(self) -> dict[str, object]:
        with self._state_lock:
            return {
                "connected": self._connected,
                "subscribed": self._connected and self._subscribed,
                "subscription": self.filter,
                "broker": f"{'mqtts' if self.broker.tls else 'mqtt'}://"
                f"{self.broker.host}:{self.broker.port}",
                "client_id": self.client_id,
                "connects": self.connects,
                "last_error": self.last_error,
            }

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while not self._stop.is_set():
            self.last_beat = time.monotonic()
            client = self._client()
            try:
                self._serve(client)
            except (OSError, BrokerLost) as exc:
                self._note_error(f"broker: {exc}")
                log.warning("event=broker_lost error=%s retry_in=%.1f", exc, backoff)
            except Exception as exc:  # the outermost loop: log anything and carry on
                self._note_error(f"receiver: {exc!r}")
                log.exception("event=receiver_failed retry_in=%.1f", backoff)
            finally:
                self._close(client)
            if self._was_up:
                backoff = BACKOFF_FIRST  # it was serving: a new outage starts a new backoff
            self._stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    def _client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            reconnect_on_failure=False,
        )
        if self.broker.tls:
            client.tls_set(
                ca_certs=str(self.broker.ca),
                certfile=str(self.broker.cert),
                keyfile=str(self.broker.key),
            )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        with self._state_lock:
            self._connected = self._subscribed = self._lost = False
        self._was_up = False
        return client

    def _serve(self, client: mqtt.Client) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 0  # nothing may depend on a session surviving
        client.connect(
            self.broker.host,
            self.broker.port,
            keepalive=self.keepalive,
            clean_start=True,
            properties=props,
        )
        deadline = time.monotonic() + CONNECT_TIMEOUT
        next_tick = time.monotonic() + self.tick_seconds
        while not self._stop.is_set():
            self.last_beat = time.monotonic()
            rc = client.loop(timeout=_LOOP_TIMEOUT)
            with self._state_lock:
                connected, lost = self._connected, self._lost
            if lost or rc != mqtt.MQTT_ERR_SUCCESS:
                raise BrokerLost(f"connection lost ({mqtt.error_string(rc)})")
            if not connected:
                if time.monotonic() > deadline:
                    raise BrokerLost(f"no CONNACK within {CONNECT_TIMEOUT}s")
                continue
            self._was_up = True
            self._drain_pending(client)
            if time.monotonic() >= next_tick:
                self._publish(client, self.handler.tick())
                next_tick = time.monotonic() + self.tick_seconds

    def _drain_pending(self, client: mqtt.Client) -> None:
        nodes: set[str] = set()
        while True:
            try:
                nodes.add(self.pending_down.get_nowait())
            except queue.Empty:
                break
        for node_id in sorted(nodes):
            self._publish(client, self.handler.push_down(node_id))

    def _publish(self, client: mqtt.Client, outgoing: list[Outgoing]) -> None:
        for out in outgoing:
            try:
                payload = out.payload
            except wire.WireError as exc:
                # One node's message that cannot go (over MAX_PAYLOAD) must not end the
                # connection every other node's traffic shares: log it and go on.
                log.error("event=publish_refused topic=%s error=%s", out.topic, exc)
                continue
            info = client.publish(out.topic, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                # Not fatal: the node asks again (Birth, resend) and the city resends.
                log.warning("event=publish_failed topic=%s rc=%s", out.topic, info.rc)

    def _close(self, client: mqtt.Client) -> None:
        with self._state_lock:
            self._connected = self._subscribed = False
        try:
            client.disconnect()
            client.loop(timeout=_LOOP_TIMEOUT)  # lets paho send it and close the socket
        except Exception:  # best effort: the socket may already be gone
            log.debug("event=disconnect_failed", exc_info=True)

    def _note_error(self, text: str) -> None:
        with self._state_lock:
            self.last_error = text

    # -- paho callbacks (run inside client.loop on our thread) -----------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        if rc.is_failure:
            with self._state_lock:
                self._lost = True
            self._note_error(f"broker refused the connection: {rc}")
            return
        with self._state_lock:
            self._connected = True
            self.connects += 1
        log.info(
            "event=connected broker=%s:%d client_id=%s",
            self.broker.host,
            self.broker.port,
            self.client_id,
        )
        client.subscribe(self.filter, qos=1)

    def _on_subscribe(
        self, _c: mqtt.Client, _u: Any, _mid: int, rcs: list[ReasonCode], _p: Any
    ) -> None:
        if any(rc.is_failure for rc in rcs):
            with self._state_lock:
                self._lost = True
            self._note_error(f"subscription to {self.filter} refused: {rcs}")
            return
        with self._state_lock:
            self._subscribed = True
            token = f"{self.client_id}-{self.connects}"
        log.info("event=subscribed filter=%s", self.filter)
        # Only now that node messages reach us: the retained state tells every node,
        # connected now or later, to send its Birth again (Sparkplug B's host state).
        state = wire.encode_city_state(wire.CityState(online=True, token=token))
        _c.publish(topics.CITY_STATE, state, qos=1, retain=True)

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        with self._state_lock:
            self._connected = self._subscribed = False
            self._lost = True
        if not self._stop.is_set():
            log.warning("event=disconnected reason=%s", rc)

    def _on_message(self, client: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = repr(msg._topic)  # the handler rejects it as a bad topic
        self._publish(client, self.handler.handle(topic, bytes(msg.payload)))
