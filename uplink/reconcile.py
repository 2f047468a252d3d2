"""``motcua reconcile``: ask the city for its copy of this node's log, join the two again.

Over the node's own MQTT link (request ``LogRequest``, reply ``LogReply`` on the node's
down control topic), not the city's JSON API: the broker is the one path every commune
already has to the city, authenticated by the node's certificate, and its ACL lets a node
read and ask about its own topics only, so no token has to be made, carried and guarded
for it. The exchange uses a client id of its own, so it does not take the session of a
running ``motcua sync`` (which should be stopped anyway while the log is rewritten).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from node.runtime import NodeRuntime
from rules.event_record import EventRecord
from sync import topics, wire
from sync.mqtt_transport import MqttEndpoint, MqttTransport
from sync.topics import Lane
from sync.transport import LinkDown, Transport
from uplink import log_reconcile, outbox
from uplink.connect import client_id
from uplink.log_reconcile import Plan, ReconcileError


class CityUnreachable(ReconcileError):
    """No answer from the city: nothing was changed."""


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    applied: bool  # the log was rewritten now
    diverged: bool  # the city still refuses this node's batches


def reconcile_transport(rt: NodeRuntime) -> MqttTransport:
    from settings.sync import broker_address

    settings = rt.config.sync
    address = broker_address(settings.broker)
    return MqttTransport(
        MqttEndpoint(
            host=address.host,
            port=address.port,
            client_id=client_id(rt.node_id, rt.data_dir) + "-reconcile",
            subscriptions=(topics.node_down_filter(rt.node_id),),
            tls=address.tls,
            ca_file=settings.ca_file,
            cert_file=settings.cert_file,
            key_file=settings.key_file,
        )
    )


class CityLog:
    """Request/reply with the city over a started transport; every wait is bounded."""

    def __init__(self, transport: Transport, node_id: str, timeout: float) -> None:
        self.transport = transport
        self.node_id = node_id
        self.timeout = timeout

    def ask(self, from_seq: int, confirm_seq: int = 0, confirm_id: str = "") -> wire.LogReply:
        request = wire.LogRequest(self.node_id, from_seq, confirm_seq, confirm_id)
        deadline = time.monotonic() + self.timeout
        while not self.transport.is_connected():
            if time.monotonic() >= deadline:
                raise CityUnreachable(
                    f"the broker did not accept the connection within {self.timeout:.0f} s; "
                    "nothing was changed"
                )
            time.sleep(0.05)
        try:
            self.transport.publish(topics.up(self.node_id, Lane.CONTROL), wire.encode(request))
        except LinkDown as exc:
            raise CityUnreachable(f"could not ask the city ({exc}); nothing was changed") from exc
        while (left := deadline - time.monotonic()) > 0:
            inbound = self.transport.receive(min(left, 0.5))
            if inbound is None:
                continue
            try:
                message = wire.decode(inbound.payload)
            except wire.WireError:
                continue
            if isinstance(message, wire.LogReply) and message.first_seq == from_seq:
                return message
        raise CityUnreachable(
            f"the city did not answer within {self.timeout:.0f} s (is it running and "
            "connected to the broker?); nothing was changed"
        )

    def events_from(self, from_seq: int) -> tuple[list[EventRecord], wire.LogReply]:
        """The city's copy of this node's events from ``from_seq`` to its head."""
        events: list[EventRecord] = []
        reply = self.ask(from_seq)
        while reply.events:
            events += reply.events
            if events[-1].seq >= reply.head:
                break
            reply = self.ask(events[-1].seq + 1)
        return events, reply


def reconcile(rt: NodeRuntime, city: CityLog, *, dry_run: bool) -> Outcome:
    """Compare, and unless ``dry_run`` rewrite and tell the city; idempotent."""
    conn = rt.db.read()
    acked = outbox.acked_upto(conn, rt.node_id)
    events, reply = city.events_from(acked + 1)
    held = {str(r[0]) for r in conn.execute("SELECT sha256 FROM blobs")}
    plan = log_reconcile.plan(conn, rt.node_id, events, reply.head, held)
    if dry_run:
        return Outcome(plan, False, reply.diverged)
    applied = False
    if plan.needed:
        with rt.db.write() as wconn:
            # Again inside the write transaction: nothing may have moved since the plan.
            fresh = log_reconcile.plan(wconn, rt.node_id, events, reply.head, held)
            if fresh != plan:
                raise ReconcileError("the log changed while reconciling; stop the node first")
            log_reconcile.apply(wconn, plan)
        applied = True
    diverged = reply.diverged
    if diverged and reply.head:
        # The node now holds the city's event at the city's head: say so, so the city
        # takes this node's batches again.
        mine = (
            rt.db.read()
            .execute("SELECT id FROM events WHERE origin = ? AND seq = ?", (rt.node_id, reply.head))
            .fetchone()
        )
        if mine is not None and str(mine[0]) == reply.head_id:
            diverged = city.ask(reply.head + 1, reply.head, reply.head_id).diverged
    return Outcome(plan, applied, diverged)
