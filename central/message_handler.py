"""One MQTT message in, the replies out: the city's whole replication protocol, no broker.

``MessageHandler.handle(topic, payload)`` validates in a fixed order (topic, direction,
size, MessagePack, lane, node named in the payload) before anything is applied, applies
through the store, and returns what to publish. Every rejection is logged as one
structured line, counted per reason (here and in the store) and answered with nothing;
``handle`` never raises for anything a peer can send. The MQTT client in
``receiver.py`` only moves bytes to and from this class.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from central import down_outbox, file_asks
from central.blob_receiver import BlobReceiver, FileTooLarge, Progress
from central.event_checks import EventCheckError, check_events
from central.log_replies import log_reply
from central.log_text import quote
from central.store import CENTRAL_ORIGIN, CentralStore, NodeRow, StoreError
from rules.clock import to_utc_iso, utc_now
from sync import topics, wire
from sync.topics import Direction, Lane, TopicError

log = logging.getLogger("motcua.central.receiver")

#: How many DownBatches may be unacknowledged at once per node.
DOWN_WINDOW: Final = 4
#: Every reason a message is rejected for (the counters' names), documented in README.md.
REJECTION_REASONS: Final = frozenset(
    {
        "bad_topic",  # not motcua/v1/<node>/<up|down>/<lane>, or not a node id
        "wrong_direction",  # a downstream topic: the city only reads upstream
        "oversize",  # over wire.MAX_PAYLOAD
        "bad_payload",  # not MessagePack, or not a known message shape
        "wrong_lane",  # a message type that does not travel on that lane
        "wrong_node",  # the payload names another node than the topic
        "bad_seq",  # a seq beyond MAX_SEQ
        "bad_event",  # an event of the batch fails event_checks
        "gap",  # a batch past the held head (a resend is asked)
        "seq_conflict",  # a held seq with another event id: the node's log diverged
        "foreign_dossier",  # an event on another node's dossier
        "wrong_origin",  # an ack or resend about an origin other than "central"
        "unknown_node",  # an ack or resend from a node the city never wrote to
        "bad_ack",  # an ack past the city's head for the node
        "bad_resend",  # a resend request past the city's head for the node
        "file_too_large",  # over receiver.max_file_bytes
        "bad_hash",  # a whole file whose SHA-256 is not its name (discarded)
        "partial_too_long",  # a partial file longer than the announced size (discarded)
        "projection_failed",  # stored, but the dossier could not be folded (store side)
        "internal_error",  # the handler failed on it (a defect): logged with its traceback
    }
)
#: Largest seq accepted: far beyond any real log, and every +1 on it still fits an int64
#: column (the wire itself puts no upper bound on integers).
MAX_SEQ: Final = 2**62
#: A node's last_seen is written at most this often for messages that change nothing else.
TOUCH_SECONDS: Final = 30.0


@dataclass(frozen=True)
class Outgoing:
    """A message to publish (QoS 1) on a downstream topic."""

    topic: str
    message: wire.Message

    @property
    def payload(self) -> bytes:
        return wire.encode(self.message)


class Rejected(Exception):
    """A message that is not applied; ``reason`` is the counter's name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _largest_seq(message: wire.Message) -> int:
    match message:
        case wire.EventBatch():
            return message.first_seq + len(message.events) - 1
        case wire.Birth():
            return message.last_seq
        case wire.DownAck():
            return message.upto_seq
        case wire.ResendRequest():
            return message.from_seq
        case wire.LogRequest():
            return max(message.from_seq, message.confirm_seq)
    return 0


def _control(node_id: str, message: wire.Message) -> Outgoing:
    return Outgoing(topics.down(node_id, Lane.CONTROL), message)


class MessageHandler:
    def __init__(
        self,
        store: CentralStore,
        blobs: BlobReceiver,
        *,
        down_batch_events: int = 200,
        resend_seconds: float = 10.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.down_batch_events = down_batch_events
        self.resend_seconds = resend_seconds
        self._clock = clock
        self._counters: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._touched: dict[str, float] = {}
        self._file_asks = file_asks.FileAsks(store, blobs)

    # -- counters ---------------------------------------------------------------------------

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counters[key] += n

    def counters(self) -> dict[str, int]:
        """This process's counters since start (the store keeps rejections for good)."""
        with self._lock:
            return dict(sorted(self._counters.items()))

    # -- entry points -----------------------------------------------------------------------

    def handle(self, topic: str, payload: bytes) -> list[Outgoing]:
        """Validate, apply and answer one message; never raises for a peer's input."""
        at = to_utc_iso(self._clock())
        self._count("messages")
        try:
            parsed = topics.parse(topic)
        except TopicError as exc:
            return self._reject(None, topic, Rejected("bad_topic", str(exc)), at)
        node_id = parsed.node_id
        try:
            message = self._validate(parsed, payload)
            return self._dispatch(node_id, message, at)
        except Rejected as exc:
            return self._reject(node_id, topic, exc, at)
        except StoreError as exc:
            # Not the message's fault: no reply, so the node sends it again later.
            self._count("store_failed")
            log.error("event=store_failed node=%s topic=%s error=%s", node_id, topic, quote(exc))
            return []
        except OSError as exc:
            self._count("blob_io_failed")
            log.error("event=blob_io_failed node=%s error=%s", node_id, quote(exc))
            return []
        except Exception as exc:
            # A defect, or input that slipped past validation: it must not take the
            # receiver off the broker (paho re-raises from its loop), and the store
            # rolled back. No reply, so a sound message is sent again.
            self._count("handler_failed")
            log.exception("event=handler_failed node=%s topic=%s", node_id, quote(topic))
            self._reject(node_id, topic, Rejected("internal_error", quote(exc)), at)
            return []

    def tick(self) -> list[Outgoing]:
        """Resend unacknowledged city events to online nodes not sent to lately."""
        now = self._clock()
        at = to_utc_iso(now)
        cutoff = to_utc_iso(now - timedelta(seconds=self.resend_seconds))
        out: list[Outgoing] = []
        try:
            for row in self.store.claim_resends(cutoff, at):
                out += self._send_down(row.node_id, row.down_acked_upto, at)
        except StoreError as exc:  # the next tick tries again
            self._count("store_failed")
            log.error("event=store_failed what=resend error=%s", quote(exc))
        return out

    def push_down(self, node_id: str) -> list[Outgoing]:
        """Send a node its new city events now, if it is online and nothing is in flight."""
        try:
            row = self.store.get_node(node_id)
            if row is None or not row.online or row.down_sent_upto > row.down_acked_upto:
                return []  # offline: sent on its Birth; in flight: sent after the ack
            return self._send_down(node_id, row.down_acked_upto, to_utc_iso(self._clock()))
        except StoreError as exc:  # the resend tick sends it later
            self._count("store_failed")
            log.error("event=store_failed what=push_down node=%s error=%s", node_id, quote(exc))
            return []

    # -- validation -------------------------------------------------------------------------

    def _validate(self, topic: topics.Topic, payload: bytes) -> wire.Message:
        if topic.direction is not Direction.UP:
            raise Rejected("wrong_direction", "the city only reads upstream topics")
        if len(payload) > wire.MAX_PAYLOAD:
            raise Rejected("oversize", f"{len(payload)} bytes")
        try:
            message = wire.decode(payload)
        except (wire.WireError, UnicodeDecodeError) as exc:
            # msgspec raises UnicodeDecodeError (not a DecodeError) for a string that
            # is not UTF-8, and sync.wire.decode lets it through.
            raise Rejected("bad_payload", str(exc)) from None
        if not wire.route_allowed(message, topic.direction, topic.lane):
            raise Rejected("wrong_lane", f"{type(message).__name__} on {topic.lane}")
        if message.node_id != topic.node_id:
            raise Rejected("wrong_node", f"payload names {message.node_id!r}")
        seq = _largest_seq(message)
        if seq > MAX_SEQ:
            raise Rejected("bad_seq", f"seq {seq} is beyond {MAX_SEQ}")
        return message

    def _reject(self, node_id: str | None, topic: str, exc: Rejected, at: str) -> list[Outgoing]:
        self._count(f"rejected.{exc.reason}")
        log.warning(
            "event=rejected reason=%s node=%s topic=%s detail=%s",
            exc.reason,
            node_id or "-",
            quote(topic),
            quote(exc.detail),
        )
        try:
            self.store.record_rejection(node_id, exc.reason, exc.detail, at)
        except StoreError as err:
            log.error("event=store_failed what=rejection error=%s", quote(err))
        return []

    # -- dispatch ---------------------------------------------------------------------------

    def _dispatch(self, node_id: str, message: wire.Message, at: str) -> list[Outgoing]:
        match message:
            case wire.EventBatch():
                return self._batch(message, at)
            case wire.Birth():
                row = self.store.record_birth(message, at)
                self._count("births")
                log.info(
                    "event=birth node=%s last_seq=%d held=%d version=%s",
                    node_id,
                    message.last_seq,
                    row.acked_upto,
                    quote(message.software_version),
                )
                held = self.store.own_event_id(node_id, row.acked_upto) if row.acked_upto else ""
                ack = wire.EventAck(
                    node_id, node_id, row.acked_upto, held or "", at, message.bd_seq
                )
                replies = [_control(node_id, ack)]
                if message.last_seq > row.acked_upto:
                    # Events the city lacks: ask for them now, not when the node next
                    # writes one (a node sending them anyway skips the request, see
                    # NodeLink._on_resend_request). Below what the node was told is held,
                    # the city went back (restored from an old copy): only then may the
                    # node move its mark back, as no reply from another receiver can.
                    went_back = message.acked_seq > row.acked_upto
                    resend = wire.ResendRequest(node_id, node_id, row.acked_upto + 1, went_back)
                    replies.append(_control(node_id, resend))
                replies += self._asked(self._file_asks.on_birth(node_id))
                return [*replies, *self._send_down(node_id, row.down_acked_upto, at)]
            case wire.Offline():
                if self.store.record_offline(message, at):
                    log.info("event=offline node=%s session=%s", node_id, message.started_at)
                return []
            case wire.DownAck():
                return self._down_ack(message, at)
            case wire.ResendRequest():
                return self._resend_request(message, at)
            case wire.ChunkOffer():
                self._touch(node_id, at)
                return self._chunk_reply(node_id, message.sha256, message.size, None, at)
            case wire.BlobChunk():
                self._touch(node_id, at)
                chunk = (message.offset, message.data)
                return self._chunk_reply(node_id, message.sha256, message.size, chunk, at)
            case wire.LogRequest():
                reply, reconciled = log_reply(self.store, message, at)
                if reconciled:
                    self._count("reconciled")
                self._count("log_requests")
                return [_control(node_id, reply)]
            case _:  # route_allowed already refused city-to-node types upstream
                raise Rejected("wrong_lane", type(message).__name__)

    def _batch(self, batch: wire.EventBatch, at: str) -> list[Outgoing]:
        node_id = batch.node_id
        try:
            check_events(batch.events)
        except EventCheckError as exc:
            raise Rejected("bad_event", str(exc)) from None
        outcome = self.store.apply_batch(batch, at)
        if outcome.status in ("seq_conflict", "foreign_dossier"):
            raise Rejected(outcome.status, outcome.detail)
        if outcome.status == "gap":
            self._reject(
                node_id,
                topics.up(node_id, Lane.EVENTS),
                Rejected("gap", f"batch starts at {batch.first_seq}, held up to {outcome.head}"),
                at,
            )
            resend = wire.ResendRequest(
                node_id, node_id, outcome.head + 1, refused_seq=batch.first_seq
            )
            return [_control(node_id, resend)]
        self._count("batches_applied")
        self._count("events_applied", outcome.applied)
        self._count("events_duplicate", outcome.duplicates)
        log.info(
            "event=batch node=%s first=%d count=%d applied=%d duplicates=%d head=%d",
            node_id,
            batch.first_seq,
            len(batch.events),
            outcome.applied,
            outcome.duplicates,
            outcome.head,
        )
        # Only now, after the commit: the ack is the node's licence to stop resending.
        ack = wire.EventAck(node_id, node_id, outcome.head, outcome.head_id, at)
        return [_control(node_id, ack), *self._asked(self._file_asks.on_batch(batch))]

    def _asked(self, asks: list[wire.ChunkAck]) -> list[Outgoing]:
        if asks:
            self._count("files_asked", len(asks))
        return [_control(a.node_id, a) for a in asks]

    def _known(self, node_id: str, origin: str) -> NodeRow:
        if origin != CENTRAL_ORIGIN:
            raise Rejected("wrong_origin", f"the city only sends origin {CENTRAL_ORIGIN!r}")
        row = self.store.get_node(node_id)
        if row is None:
            raise Rejected("unknown_node", "no city events were ever sent to this node")
        return row

    def _down_ack(self, ack: wire.DownAck, at: str) -> list[Outgoing]:
        row = self._known(ack.node_id, ack.origin)
        if ack.upto_seq > row.central_seq:
            raise Rejected("bad_ack", f"ack of {ack.upto_seq}, the city has {row.central_seq}")
        row = self.store.record_down_ack(ack.node_id, ack.upto_seq, at)
        if row.down_acked_upto < row.central_seq and row.down_sent_upto <= row.down_acked_upto:
            return self._send_down(ack.node_id, row.down_acked_upto, at)
        return []

    def _resend_request(self, request: wire.ResendRequest, at: str) -> list[Outgoing]:
        row = self._known(request.node_id, request.origin)
        if request.from_seq > row.central_seq + 1:
            raise Rejected(
                "bad_resend", f"resend from {request.from_seq}, the city has {row.central_seq}"
            )
        row = self.store.rewind_down(request.node_id, request.from_seq, at)
        return self._send_down(request.node_id, row.down_acked_upto, at)

    def _send_down(self, node_id: str, after_seq: int, at: str) -> list[Outgoing]:
        batches = down_outbox.window(
            self.store, node_id, after_seq, self.down_batch_events, DOWN_WINDOW
        )
        if not batches:
            return []
        last = batches[-1]
        self.store.mark_down_sent(node_id, last.first_seq + len(last.events) - 1, at)
        self._count("down_batches_sent", len(batches))
        return [Outgoing(topics.down(node_id, Lane.EVENTS), b) for b in batches]

    def _chunk_reply(
        self, node_id: str, sha256: str, size: int, chunk: tuple[int, bytes] | None, at: str
    ) -> list[Outgoing]:
        try:
            if chunk is None:
                progress: Progress = self.blobs.offer(sha256, size, at)
            else:
                progress = self.blobs.chunk(sha256, size, chunk[0], chunk[1], at)
        except FileTooLarge as exc:
            raise Rejected("file_too_large", f"{sha256}: {exc}") from None
        if progress.problem:
            self._reject(
                node_id, topics.up(node_id, Lane.BLOBS), Rejected(progress.problem, sha256), at
            )
        elif progress.complete:
            self._count("files_complete")
        reply = wire.ChunkAck(node_id, sha256, progress.next_offset, progress.complete)
        return [_control(node_id, reply)]

    def _touch(self, node_id: str, at: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._touched.get(node_id, -TOUCH_SECONDS) < TOUCH_SECONDS:
                return
            self._touched[node_id] = now
        self.store.touch(node_id, at)
