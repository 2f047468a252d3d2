"""How fast the uplink really goes, and how long to wait for the city before sending again.

Two measures, both taken from the link itself rather than from settings:

* ``DataFlight``: the data messages handed to the transport that the broker has not yet
  acknowledged (QoS 1 PUBACK). Until the broker has a message, it is still queued (in
  paho, in the socket, on the slow link): sending it again would only queue a copy behind
  it. New data waits while more than about a second of it is queued, so the queue stays
  short and an ack, a Birth or a new dossier never waits behind megabytes of backlog. The
  bytes the broker acknowledged per second give the link's real throughput.
* ``AckTimer``: the city's ack for a batch is awaited from the moment the broker had the
  batch, for a retransmission timeout computed as TCP does (RFC 6298: smoothed round trip
  plus four deviations, doubled on every timeout, samples only from batches sent once).
  A slow uplink then never fires the timeout merely because the batch was still queued.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Final

from sync.transport import Delivery
from sync.wire import MAX_PAYLOAD

#: Data allowed in the transport's queue whatever the measured rate: one default batch.
MIN_FLIGHT_BYTES: Final = 32 * 1024
#: Otherwise about this many seconds of data at the measured rate may wait in the queue.
FLIGHT_SECONDS: Final = 1.0
#: Bounds of the retransmission timeout (RFC 6298 has a 1 s floor; the ceiling keeps a
#: link that lost many acks in a row from waiting for hours).
MIN_RTO: Final = 1.0
MAX_RTO: Final = 120.0
#: Throughput is sampled over stretches this long while data is queued; a stretch ends
#: when the queue stayed empty for IDLE_GAP (the sender had nothing to send).
SAMPLE_SECONDS: Final = 0.5
IDLE_GAP: Final = 0.05
#: Weight of a lower throughput sample in its moving average.
_RATE_GAIN: Final = 0.25


@dataclass
class _Queued:
    delivery: Delivery
    size: int
    sent_at: float


@dataclass
class DataFlight:
    """Data messages the broker has not acknowledged yet, and the measured throughput."""

    rate: float = 0.0  # bytes per second the broker acknowledged, 0 until measured
    # The largest payload the connection carries (``Transport.max_payload``), set on
    # each connect: a broker with a smaller maximum packet size drops a larger message.
    max_message: int = MAX_PAYLOAD
    _queued: deque[_Queued] = field(default_factory=deque)
    _busy_since: float | None = None  # start of the current stretch with data queued
    _busy_bytes: int = 0  # bytes acknowledged by the broker in that stretch
    _last_activity: float = 0.0  # last send or broker acknowledgement

    def add(self, delivery: Delivery, size: int, now: float) -> None:
        if self._busy_since is None:
            self._busy_since, self._busy_bytes = now, 0
        self._last_activity = now
        self._queued.append(_Queued(delivery, size, now))

    def update(self, now: float) -> None:
        """Drop what the broker has acknowledged (in order: QoS 1 on one connection)."""
        acked = False
        while self._queued and self._queued[0].delivery.reached_broker():
            self._busy_bytes += self._queued.popleft().size
            self._last_activity = now
            acked = True
        if self._busy_since is None:
            return
        if not self._queued and now - self._last_activity > IDLE_GAP:
            self._busy_since = None  # the sender had nothing more: not the link's rate
            return
        elapsed = now - self._busy_since
        # A stretch ends only as a message is acknowledged: ended at any other moment, it
        # counts a message that took seconds to cross a slow link as if it went in the
        # stretch's half second (32 KiB at 20 kB/s read as 64 kB/s), and the overestimate
        # lets bigger batches queue, read faster still: 128 KiB (6 s) queued at 20 kB/s.
        if acked and elapsed >= SAMPLE_SECONDS:
            sample = self._busy_bytes / elapsed
            # Up at once (the link can do at least that), down smoothly (one slow sample
            # may be the sender's pause): a fast link reaches its rate within a sample.
            gain = 1.0 if sample > self.rate else _RATE_GAIN
            self.rate += gain * (sample - self.rate)
            self._busy_since, self._busy_bytes = now, 0

    @property
    def queued_bytes(self) -> int:
        return sum(q.size for q in self._queued)

    def limit(self) -> int:
        """Bytes of data that may wait in the queue at the measured rate."""
        return max(MIN_FLIGHT_BYTES, int(self.rate * FLIGHT_SECONDS))

    def has_room(self) -> bool:
        """True when one more data message may be handed to the transport."""
        return self.queued_bytes < self.limit()

    def clear(self) -> None:
        """A new connection: whatever the old one queued is gone."""
        self._queued.clear()
        self._busy_since, self._busy_bytes = None, 0


@dataclass
class AckTimer:
    """RFC 6298 retransmission timeout over broker-to-ack round trips."""

    rto: float
    srtt: float | None = None
    rttvar: float = 0.0

    def sample(self, rtt: float) -> None:
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt
        self.rto = min(MAX_RTO, max(MIN_RTO, self.srtt + 4 * self.rttvar))

    def backoff(self) -> None:
        """A timeout fired: wait twice as long next time (until a fresh sample)."""
        self.rto = min(MAX_RTO, self.rto * 2)


@dataclass
class Sent:
    """One message awaiting the city's answer, and when the broker had it."""

    delivery: Delivery
    at_broker: float | None = None  # time.monotonic() the broker's ack was first seen

    def stamp(self, now: float) -> None:
        if self.at_broker is None and self.delivery.reached_broker():
            self.at_broker = now

    def expired(self, rto: float, now: float) -> bool:
        """True when the broker has had it for over ``rto`` and the city did not answer.

        Never while it is still queued here: sending it again would only queue a copy.
        """
        return self.at_broker is not None and now - self.at_broker > rto
