"""Starting the node's link: the MQTT transport for ``[sync]``, with the session's will."""

from __future__ import annotations

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
            client_id=f"motcua-node-{rt.node_id}",
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
