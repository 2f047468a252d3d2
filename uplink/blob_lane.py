"""The files lane of the node's link: which file goes next, its chunks, the city's answers.

Files go in chunks, at most ``CHUNK_WINDOW`` in flight, resumed from the city's own count
of bytes it holds. A file the city will not take, or whose own copy on this node is
missing or damaged, steps aside with a backoff while the files behind it go first.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

from node.runtime import NodeRuntime
from settings.sync import SyncSettings
from sync import wire
from sync.topics import Lane
from uplink import outbox
from uplink.blob_files import (
    BlobTransfer,
    Deferred,
    LocalCopyDamaged,
    local_damage,
    read_chunk,
    verify_local,
)
from uplink.flow import AckTimer, DataFlight, Sent
from uplink.link_state import LinkStateWriter

log = logging.getLogger("motcua.sync.node")

CHUNK_WINDOW = 2
# A chunk's own fields beside its data (tag, node id, hash, size, offset).
CHUNK_FRAMING = 512
# A file the city will not take (it failed its hash there, or offers go unanswered: over
# the city's size limit) waits this long before it is tried again, doubling each time up
# to BLOB_BACKOFF_MAX, while the files behind it go first.
BLOB_BACKOFF_SECONDS = 60.0
BLOB_BACKOFF_MAX = 3600.0
# Offers of one file left unanswered in a row, while the city answers other messages,
# before it steps aside (a city that answers nothing is down: nothing steps aside then).
UNANSWERED_OFFERS = 3
# Pending files whose local copy one turn may check against its hash (a bad one steps
# aside and the next is checked), so a run of damaged files cannot hold a turn for long.
VERIFY_PER_TURN = 4


class BlobLane:
    def __init__(
        self,
        rt: NodeRuntime,
        settings: SyncSettings,
        state: LinkStateWriter,
        publish: Callable[[Lane, wire.Message], Sent],
        flight: DataFlight,
        ack_timer: AckTimer,
    ) -> None:
        self.rt = rt
        self.settings = settings
        self.state = state
        self._publish = publish
        self.flight = flight
        self.ack_timer = ack_timer
        self.current: BlobTransfer | None = None
        self._deferred: dict[str, Deferred] = {}  # sha256 -> backoff of a file the city refused
        self._damaged: dict[str, str] = {}  # sha256 -> what is wrong with the local copy
        self._verified: set[str] = set()  # files whose local copy matched its hash

    def send(self, city_answered_at: float) -> bool:
        """Offer or send the next chunks of the current file; True if anything went."""
        now = time.monotonic()
        blob = self.current
        if blob is None:
            blob = self.current = self._next(now)
            if blob is None:
                return False
        if blob.offset is None:
            # Timed as batches and chunks are, from when the broker had it: an offer queued
            # behind a second of data on a slow link is not unanswered, and offering again
            # would only queue a copy (three such and the file stepped aside for a minute).
            if blob.offer is None or blob.offer.expired(self.ack_timer.rto, now):
                alive = city_answered_at > blob.first_unanswered_at
                if blob.unanswered >= UNANSWERED_OFFERS and alive:
                    self._defer(blob, f"{blob.unanswered} offers unanswered")
                    return False
                offer = wire.ChunkOffer(self.rt.node_id, blob.sha256, blob.size)
                blob.offer = self._publish(Lane.BLOBS, offer)
                if blob.unanswered == 0:
                    blob.first_unanswered_at = now
                blob.unanswered += 1
                return True
            return False
        if blob.inflight and blob.inflight[0][1].expired(self.ack_timer.rto, now):
            blob.offset, blob.inflight = None, deque()  # ask again where to resume
            blob.offer = None
            return False
        sent = False
        # Chunks no longer than what the link carries in about a second, so an ack or a new
        # dossier never waits long behind one on a slow uplink.
        # And within the broker's maximum packet size, less the chunk's own fields.
        room = self.flight.max_message - CHUNK_FRAMING
        chunk_size = min(self.settings.chunk_size, self.flight.limit(), room)
        while (
            len(blob.inflight) < CHUNK_WINDOW
            and blob.sent_upto < blob.size
            and self.flight.has_room()
        ):
            try:
                data = read_chunk(self.rt, blob.sha256, blob.sent_upto, chunk_size, blob.size)
            except LocalCopyDamaged as exc:
                self._set_aside(blob.sha256, str(exc))
                return sent
            chunk = wire.BlobChunk(self.rt.node_id, blob.sha256, blob.size, blob.sent_upto, data)
            blob.inflight.append((blob.sent_upto, self._publish(Lane.BLOBS, chunk)))
            blob.sent_upto += len(data)
            sent = True
        return sent

    def stamp(self, now: float) -> None:
        """Note what the broker now holds of the current file: its timers start then."""
        if self.current is None:
            return
        if self.current.offer is not None:
            self.current.offer.stamp(now)
        for _, chunk in self.current.inflight:
            chunk.stamp(now)

    def _next(self, now: float) -> BlobTransfer | None:
        """The oldest pending file not stepping aside, whose local copy is whole."""
        waiting = {sha for sha, d in self._deferred.items() if d.until > now}
        pending = outbox.pending_blobs(self.rt.db.read(), limit=len(waiting) + VERIFY_PER_TURN)
        for candidate in (p for p in pending if p.sha256 not in waiting):
            if candidate.sha256 not in self._verified:
                why = verify_local(self.rt, candidate.sha256, candidate.size)
                if why:
                    self._set_aside(candidate.sha256, why)
                    continue
                self._verified.add(candidate.sha256)
            if self._damaged.pop(candidate.sha256, None) is not None:
                self.report_damaged()  # restored by the operator: it goes up again
            return BlobTransfer(candidate.sha256, candidate.size)
        return None

    def _set_aside(self, sha256: str, why: str) -> None:
        """A file whose own copy is bad steps aside, with an alarm, for the files behind it.

        It is checked again after the backoff, so a copy the operator restores goes up.
        """
        log.error("event=blob_set_aside sha256=%s why=%s", sha256, why)
        self._verified.discard(sha256)
        self._damaged[sha256] = why
        self.report_damaged()
        if self.current is not None and self.current.sha256 == sha256:
            self._defer(self.current, why)
        else:
            self._defer(BlobTransfer(sha256, 0), why)

    def report_damaged(self) -> None:
        count = len(self._damaged)
        first = next(iter(self._damaged.items()), None)
        self.state.damaged_files(
            ""
            if first is None
            else f"{count} file(s) set aside, their copy on this node is bad "
            f"(run motcua check): {first[0]}: {first[1]}"
        )

    def _defer(self, blob: BlobTransfer, why: str) -> None:
        """Let the files behind ``blob`` go first; it is tried again after a backoff."""
        before = self._deferred.get(blob.sha256)
        failures = 1 if before is None else before.failures + 1
        wait = min(BLOB_BACKOFF_MAX, BLOB_BACKOFF_SECONDS * 2 ** (failures - 1))
        self._deferred[blob.sha256] = Deferred(failures, time.monotonic() + wait)
        log.warning(
            "event=blob_deferred sha256=%s why=%s failures=%d retry_in_s=%.0f",
            blob.sha256,
            why,
            failures,
            wait,
        )
        if self.current is blob:
            self.current = None

    def on_chunk_ack(self, ack: wire.ChunkAck) -> None:
        """The city says how much of a file it holds: move the transfer on."""
        blob = self.current
        if blob is None or blob.sha256 != ack.sha256:
            return
        blob.unanswered = 0
        if ack.complete:
            self.current = None
            self._deferred.pop(ack.sha256, None)
            return
        if ack.next_offset == 0 and blob.sent_upto >= blob.size and blob.offset is not None:
            # Every byte went and the city started over: the whole failed its hash there.
            self._defer(blob, "the city found another SHA-256" + local_damage(self.rt, blob))
            return
        expected = {offset for offset, _ in blob.inflight} | {blob.sent_upto}
        if blob.offset is None or ack.next_offset not in expected:
            # First answer to an offer, or the city holds less than we thought: resume there.
            blob.offset = blob.sent_upto = ack.next_offset
            blob.inflight.clear()
            return
        blob.offset = ack.next_offset
        while blob.inflight and blob.inflight[0][0] < ack.next_offset:
            blob.inflight.popleft()
