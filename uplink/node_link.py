"""The node's replication loop: ship the event log and files up, apply the city's events.

One thread owns the link. Each turn it handles what arrived, then sends by strict lane
priority: control (acks, presence) > events > blobs. Events go in batches with a bounded
window in flight; a batch not acknowledged in time (counted from when the broker had it,
see ``uplink/flow.py``) is sent again from the acknowledged mark (go-back-N; the city
drops duplicates by seq). Data is handed to the transport only while less than about a
second of it is queued there, so control never waits long behind data. Files go in
chunks (``uplink/blob_lane.py``), only when no event waits, so a large file never holds a
dossier back for more than one chunk's time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from node import event_log
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from rules.event_record import EventRecord
from settings.sync import SyncSettings
from sync import topics, wire
from sync.topics import Direction, Lane
from sync.transport import Inbound, LinkDown, Transport
from uplink import batch_size, outbox
from uplink.birth import birth
from uplink.blob_lane import BlobLane
from uplink.clock_watch import ClockWatch
from uplink.downstream import DownstreamConflict, DownstreamGap, apply_records
from uplink.flow import AckTimer, DataFlight, Sent
from uplink.gap_replies import GapReplies
from uplink.heartbeat import Heartbeat, paced_bucket
from uplink.link_state import LinkStateWriter

log = logging.getLogger("motcua.sync.node")

# While the city holds another history of this log (see _on_ack), events are sent only
# this often: one window, which the city refuses and records as a conflict, and a Birth,
# whose answer says whether the histories agree again (then sending resumes).
DIVERGED_PROBE_SECONDS = 300.0
# How long an idle turn waits for the city before polling the log head again.
IDLE_WAIT_SECONDS = 0.01
SOFTWARE_VERSION = "0.1.0"
# A resend request below the acked mark (stale, or a city restored unseen): a Birth, this often.
PROBE_SECONDS = 5.0


@dataclass
class _InFlight:
    first: int
    last: int
    sent: Sent
    resent: bool  # a second copy: its ack says nothing about the round trip (Karn)
    published_at: float  # time.monotonic() when it was handed to the transport


class NodeLink:
    def __init__(
        self, rt: NodeRuntime, transport: Transport, settings: SyncSettings, started_at: str
    ) -> None:
        self.rt = rt
        self.node_id = rt.node_id
        self.transport = transport
        self.settings = settings
        self.heartbeat = Heartbeat()  # read by the service watchdog (systemd)
        self.bucket = paced_bucket(settings, self.heartbeat)
        self.started_at = started_at
        self.ack_timer = AckTimer(settings.ack_timeout_seconds)
        self.state = LinkStateWriter(rt, self.ack_timer)
        self.clock = ClockWatch(rt)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._epoch = 0
        self._next_seq = 1
        self._inflight: deque[_InFlight] = deque()
        self._sent_upto = 0  # highest seq ever sent on this connection (to spot resends)
        self.gaps = GapReplies(settings.window_batches)
        self.flight = DataFlight()
        self.blobs = BlobLane(rt, settings, self.state, self._publish, self.flight, self.ack_timer)
        self._city_answered_at = 0.0  # time.monotonic() of the city's last valid message
        self._diverged_probe_at: float | None = None  # set while the city's log is another
        self._control: deque[wire.Message] = deque()
        self._city_token = ""  # the last city receiver seen coming up (wire.CityState)
        self._probed_at = -PROBE_SECONDS  # time.monotonic() of the last stale-reply Birth
        self.rejected = 0

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self.blobs.report_damaged()  # clears what an earlier run set aside: checked again
        self.transport.start()
        self._thread = threading.Thread(target=self._run, name="motcua-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and the transport; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._say_goodbye()
        self.transport.stop()
        self.state.write(connected=False, error=self.transport.last_error())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.heartbeat.beat()
            try:
                self.turn()
            except Exception as exc:  # the outermost loop: log, back off, keep the link alive
                if not self.rt.faults.noted_disk_full("sync link", exc):  # one line an episode
                    log.exception("event=sync_turn_failed")
                self._stop.wait(1.0)

    # -- one turn ----------------------------------------------------------------------
    def turn(self) -> None:
        busy = self._receive_all()
        self._note_deliveries(time.monotonic())
        if self.transport.is_connected():
            if self.transport.connection_epoch() != self._epoch:
                self._on_new_connection()
            try:
                busy |= self._send_control()
                busy |= self._send_events()
                if not self._events_waiting():
                    busy |= self.blobs.send(self._city_answered_at)
            except LinkDown:
                pass
        self.state.maybe_write(self.transport.is_connected(), self.transport.last_error())
        if not busy:
            message = self.transport.receive(IDLE_WAIT_SECONDS)
            if message is not None:
                self._handle(message)

    def _on_new_connection(self) -> None:
        self._epoch = self.transport.connection_epoch()
        conn = self.rt.db.read()
        acked = outbox.acked_upto(conn, self.node_id)
        self._next_seq = acked + 1
        self._inflight.clear()
        self._sent_upto = 0
        self.gaps.clear()
        self.flight.clear()  # the old connection's queue died with it
        self.flight.max_message = self.transport.max_payload()
        self.blobs.current = None  # re-offer: the city says where to resume
        self._control.appendleft(self._birth())
        self.state.write(connected=True, error="", since=to_utc_iso(utc_now()))

    def _birth(self) -> wire.Birth:
        bd_seq = self.transport.connection_epoch()  # the will of this connection names it too
        return birth(self.rt, self.started_at, SOFTWARE_VERSION, bd_seq)

    def _say_goodbye(self) -> None:
        """A clean stop sends its death itself (Sparkplug's explicit NDEATH): the broker
        discards the will on a normal DISCONNECT, and the city would show it online."""
        if not self.transport.is_connected():
            return
        offline = wire.Offline(self.node_id, self.started_at, self.transport.connection_epoch())
        with contextlib.suppress(LinkDown):  # gone already: the broker publishes the will
            self.transport.publish(topics.up(self.node_id, Lane.CONTROL), wire.encode(offline))

    def _on_city_state(self, payload: bytes) -> None:
        """A city receiver came up: if it is one this node has not announced itself to,
        send the Birth again (it may have started after this connection's Birth)."""
        try:
            state = wire.decode_city_state(payload)
        except wire.WireError as exc:
            self._reject("malformed", topics.CITY_STATE, str(exc))
            return
        if not state.online or state.token == self._city_token:
            return
        self._city_token = state.token
        if not any(isinstance(m, wire.Birth) for m in self._control):
            log.info("event=city_came_up token=%s", state.token[:64])
            self._control.append(self._birth())

    def _publish(self, lane: Lane, message: wire.Message) -> Sent:
        payload = wire.encode(message)
        self.bucket.acquire(len(payload))
        delivery = self.transport.publish(topics.up(self.node_id, lane), payload)
        self.state.count_sent(len(payload))
        if lane is not Lane.CONTROL:
            self.flight.add(delivery, len(payload), time.monotonic())
        return Sent(delivery)

    def _note_deliveries(self, now: float) -> None:
        """What the broker now holds: the flight shrinks, the ack timers start."""
        self.flight.update(now)
        for batch in self._inflight:
            batch.sent.stamp(now)
        self.blobs.stamp(now)

    def _send_control(self) -> bool:
        sent = False
        while self._control:
            self._publish(Lane.CONTROL, self._control[0])
            if isinstance(left := self._control.popleft(), wire.Birth) and not self._inflight:
                # Else an ack answering no batch may be a stale one, stamped before it left.
                self.clock.birth_sent(time.monotonic(), left.bd_seq)
            sent = True
        return sent

    def _events_waiting(self) -> bool:
        return self._next_seq <= _head(self.rt, self.node_id)

    def _send_events(self) -> bool:
        now = time.monotonic()
        if self._diverged_probe_at is not None:
            if now - self._diverged_probe_at <= DIVERGED_PROBE_SECONDS:
                return False
            self._diverged_probe_at = now
            self._control.append(self._birth())
            self._go_back(outbox.acked_upto(self.rt.db.read(), self.node_id) + 1)
        if self._inflight and self._inflight[0].sent.expired(self.ack_timer.rto, now):
            log.info(
                "event=ack_timeout first_seq=%d rto_s=%.1f",
                self._inflight[0].first,
                self.ack_timer.rto,
            )
            self.ack_timer.backoff()
            self._go_back(outbox.acked_upto(self.rt.db.read(), self.node_id) + 1)
        sent = False
        while len(self._inflight) < self.gaps.window and self.flight.has_room():
            room = self.flight.max_message - batch_size.BATCH_FRAMING  # the broker's limit
            records = batch_size.fit(
                outbox.events_after(
                    self.rt.db.read(), self.node_id, self._next_seq - 1, self.settings.batch_events
                ),
                min(batch_size.BATCH_BYTES, self.flight.limit(), room),
            )
            if not records or not self._fits_broker(records[0], room):
                break
            first, last = records[0].seq, records[-1].seq
            message = self._publish(Lane.EVENTS, wire.EventBatch(self.node_id, first, records))
            resent = first <= self._sent_upto
            self._inflight.append(_InFlight(first, last, message, resent, now))
            self.gaps.sent(first)
            self._sent_upto = max(self._sent_upto, last)
            self._next_seq = last + 1
            sent = True
        return sent

    def _go_back(self, seq: int) -> None:
        """Send again from ``seq`` (go-back-N); the batches before it stay in flight."""
        self._next_seq = seq
        self.gaps.went_back([b.first for b in self._inflight if b.first >= seq])
        self._inflight = deque(b for b in self._inflight if b.first < seq)

    def _fits_broker(self, record: EventRecord, room: int) -> bool:
        """False (with an alarm) for an event larger than the broker lets through."""
        detail = batch_size.too_large(record, room)
        self.state.diverged(detail, key="too_large")
        return not detail

    # -- inbound -------------------------------------------------------------------------
    def _receive_all(self) -> bool:
        handled = False
        while (message := self.transport.receive(0)) is not None:
            self._handle(message)
            handled = True
        return handled

    def _handle(self, inbound: Inbound) -> None:
        if inbound.topic == topics.CITY_STATE:
            self._on_city_state(inbound.payload)
            return
        try:
            topic = topics.parse(inbound.topic)
            message = wire.decode(inbound.payload)
        except (topics.TopicError, wire.WireError) as exc:
            self._reject("malformed", inbound.topic, str(exc))
            return
        if topic.direction is not Direction.DOWN or topic.node_id != self.node_id:
            self._reject("wrong_topic", inbound.topic, "not this node's down topic")
            return
        if not wire.route_allowed(message, topic.direction, topic.lane):
            self._reject("wrong_lane", inbound.topic, type(message).__name__)
            return
        if getattr(message, "node_id", self.node_id) != self.node_id:
            self._reject("wrong_node", inbound.topic, "payload names another node")
            return
        self._city_answered_at = time.monotonic()
        match message:
            case wire.EventAck(origin=origin, upto_seq=upto) if origin == self.node_id:
                self._on_ack(upto, message.upto_id, message.city_time, message.birth_bd_seq)
            case wire.ResendRequest(origin=origin) if origin == self.node_id:
                self._on_resend_request(message)
            case wire.ChunkAck():
                self._on_chunk_ack(message)
            case wire.DownBatch():
                self._on_down_batch(message)
            case _:
                self._reject("unexpected", inbound.topic, type(message).__name__)

    def _reject(self, reason: str, topic: str, detail: str) -> None:
        self.rejected += 1
        log.warning("event=rejected reason=%s topic=%s detail=%s", reason, topic, detail[:200])

    def _on_ack(self, upto: int, upto_id: str, city_time: str = "", birth: int = 0) -> None:
        with self.rt.db.write() as conn:
            mine = event_log.id_at(conn, self.node_id, upto) if upto else None
            # The city's event at upto must be ours: after a restore from an old backup the
            # city holds seqs this log never wrote, or wrote again as other events. Taking
            # such an ack would mark unsent events delivered; they stay pending instead and
            # the city keeps refusing them (seq_conflict) until someone decides.
            diverged = upto > 0 and (mine is None or (upto_id != "" and upto_id != mine))
            moved = not diverged and outbox.record_ack(conn, self.node_id, upto)
        if diverged:
            self.state.diverged(
                f"the city holds seq {upto} as event {upto_id or '?'}, this log has "
                f"{mine or 'no event there'}: restored from an old backup, or this node "
                "id in use on another machine?"
            )
            if self._diverged_probe_at is None:
                self._diverged_probe_at = 0.0  # probe at once, so the city sees it too
            self._inflight.clear()
            self.clock.on_ack(city_time, None, birth)
            return
        self.state.diverged("")
        self._diverged_probe_at = None
        now = time.monotonic()
        answered: float | None = None  # when the first batch it answers left (sent once)
        while self._inflight and self._inflight[0].last <= upto:
            batch = self._inflight.popleft()
            batch.sent.stamp(now)
            if not batch.resent and answered is None:
                answered = batch.published_at
            if not batch.resent and batch.sent.at_broker is not None:
                self.ack_timer.sample(now - batch.sent.at_broker)
        self.clock.on_ack(city_time, answered, birth)
        if upto + 1 > self._next_seq:
            self._next_seq = upto + 1  # the city already holds more than this session sent
        self.gaps.acked(upto)
        if moved:
            self.state.progress()

    def _on_resend_request(self, request: wire.ResendRequest) -> None:
        from_seq = request.from_seq
        with self.rt.db.write() as conn:
            # Only a Birth's answer can tell that the city lost what it acknowledged (it
            # compares with the mark the Birth carried): then the mark follows the city
            # and the log sends those events again.
            rewound = request.rewind and outbox.rewind_ack(conn, self.node_id, from_seq - 1)
            acked = outbox.acked_upto(conn, self.node_id)
        if rewound:
            log.warning("event=city_went_back from_seq=%d", from_seq)
            self._go_back(max(from_seq, acked + 1))
            return
        if request.refused_seq:  # a batch refused as a gap (uplink/gap_replies.py)
            lost = self.gaps.refused(request.refused_seq, from_seq, acked)
            if lost is not None:
                self._go_back(lost)
        if from_seq <= acked:
            # Asked for what the city has since acknowledged: a reply overtaken by a higher
            # ack (shared subscription), or a city restored under its running receivers,
            # which no Birth told of: a Birth (one per PROBE_SECONDS) asks; its answer decides.
            log.info("event=stale_resend from_seq=%d acked=%d", from_seq, acked)
            now = time.monotonic()
            if now - self._probed_at >= PROBE_SECONDS:
                self._probed_at = now
                self._control.append(self._birth())
        elif not request.refused_seq and not (
            self._inflight and self._inflight[0].first == from_seq
        ):
            self._go_back(max(from_seq, acked + 1))
        # else what the window in flight starts with (a Birth's answer): on its way

    def _on_chunk_ack(self, ack: wire.ChunkAck) -> None:
        with self.rt.db.write() as conn:
            outbox.record_blob_progress(conn, ack.sha256, ack.next_offset, ack.complete)
        self.state.progress()
        self.blobs.on_chunk_ack(ack)

    def _on_down_batch(self, batch: wire.DownBatch) -> None:
        try:
            with self.rt.db.write() as conn:
                apply_records(conn, batch.events)
                head = event_log.head_seq(conn, batch.origin)
        except DownstreamGap as gap:
            log.info("event=down_gap origin=%s expected=%d", gap.origin, gap.expected)
            self._control.append(wire.ResendRequest(self.node_id, gap.origin, gap.expected))
            return
        except DownstreamConflict as conflict:
            # The city reuses seqs this log holds as other events (it was restored from an
            # old copy): applying nothing and acknowledging nothing keeps them pending at
            # the city, as the upstream direction does, until someone decides.
            self.state.diverged(str(conflict), key="city_diverged")
            return
        self.state.diverged("", key="city_diverged")
        self._control.append(wire.DownAck(self.node_id, batch.origin, head))


def _head(rt: NodeRuntime, origin: str) -> int:  # new events are found by polling the head
    return event_log.head_seq(rt.db.read(), origin)
