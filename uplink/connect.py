"""Starting the node's link: the MQTT transport for ``[sync]``, with the session's will."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from settings.sync import broker_address
from sync import topics, wire
from sync.mqtt_transport import MqttEndpoint, MqttTransport
from sync.topics import Lane
from uplink.blob_lane import CHUNK_WINDOW
from uplink.node_link import NodeLink

# Acks, Births and resend requests the link may have queued beside its data window.
CONTROL_QUEUE = 32


def client_id(node_id: str, data_dir: Path) -> str:
    """The MQTT client id: the node id and a tag of this machine and data directory.

    With the node id alone, a node id reused on new hardware while the old machine still
    runs makes the broker hand the session from one to the other (Mosquitto closes the
    older connection; 2.0.11 sends no DISCONNECT 0x8E first, so neither can tell), and
    both reconnect every second for good. With the machine in the id both stay connected;
    the city refuses the second log's events at seqs it holds as others (``seq_conflict``,
    the node flagged diverged) and that machine raises ``log_diverged``. The broker's ACL
    keys on the certificate's name, not on this id.
    """
    try:
        machine = Path("/etc/machine-id").read_text().strip()
    except OSError:
        machine = socket.gethostname()
    where = f"{machine}:{data_dir.resolve()}".encode()
    return f"motcua-node-{node_id}-{hashlib.sha256(where).hexdigest()[:8]}"


def mqtt_transport_for(rt: NodeRuntime, started_at: str) -> MqttTransport:
    settings = rt.config.sync
    address = broker_address(settings.broker)
    node_id = rt.node_id

    def offline(connection: int) -> bytes:
        # The same (started_at, bd_seq) as that connection's Birth: see NodeLink._birth.
        return wire.encode(wire.Offline(node_id, started_at, connection))

    return MqttTransport(
        MqttEndpoint(
            host=address.host,
            port=address.port,
            client_id=client_id(rt.node_id, rt.data_dir),
            subscriptions=(topics.node_down_filter(rt.node_id), topics.CITY_STATE),
            will_topic=topics.up(rt.node_id, Lane.CONTROL),
            will_payload=offline(1),
            tls=address.tls,
            ca_file=settings.ca_file,
            cert_file=settings.cert_file,
            key_file=settings.key_file,
            will_for_connection=offline,
            # The link never hands paho more than its window: the queue is bounded to it.
            max_queued=settings.window_batches + CHUNK_WINDOW + CONTROL_QUEUE,
        )
    )


def start_link(rt: NodeRuntime) -> NodeLink | None:
    """The running link when ``[sync] broker`` is set; None when replication is off."""
    if not rt.config.sync.broker:
        return None
    started_at = to_utc_iso(utc_now())  # the will and every birth name this session
    link = NodeLink(rt, mqtt_transport_for(rt, started_at), rt.config.sync, started_at)
    link.start()
    return link
