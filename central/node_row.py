"""What the city knows about one commune node (a row of its ``nodes`` table)."""

from __future__ import annotations

import msgspec


class NodeRow(msgspec.Struct, frozen=True):
    """What the city knows about one commune node: presence and replication marks."""

    node_id: str
    first_seen: str  # UTC ISO: first message ever accepted from it
    last_seen: str  # UTC ISO: last message accepted from it
    online: bool  # the newest Birth's connection, and no death of that connection since
    started_at: str | None  # session of the newest Birth (the node's clock)
    ended_at: str | None  # session named by the newest Offline (with ended_bd_seq)
    software_version: str
    node_last_seq: int  # the node's own head, as it last reported (Birth or batch)
    acked_upto: int  # the node's events held here: 1..acked_upto, contiguous
    central_seq: int  # the city's events for this node: 1..central_seq
    down_acked_upto: int  # the node has applied the city's events up to here
    down_sent_upto: int  # highest city seq sent in the current round
    down_sent_at: str | None  # when city events were last sent to it
    duplicates: int  # events received again (already held): normal after a lost ack
    gaps: int  # batches that would have left a gap (a resend was asked)
    rejected: int  # messages rejected (any reason) once the node was known
    last_error: str | None
    last_error_at: str | None
    # When one of its batches repeated a held seq as another event: its log diverged (it
    # was restored from an old backup and wrote anew). Its batches are refused since, so
    # no later event is joined onto the city's copy of the old history.
    diverged_at: str | None = None
    bd_seq: int = 0  # connection of the session named by the newest Birth (wire.Birth)
    ended_bd_seq: int = 0  # connection named by the newest Offline
    # As the node's newest Birth reported them (wire.Birth); None: never reported.
    disk_free: int | None = None  # bytes free on the node's data directory's filesystem
    pending_files: int = 0  # files the node had not sent yet
    oldest_pending_at: str | None = None  # recorded_at of its oldest unsent event
    presence_since: str | None = None  # city time online last changed (None: never born)

    @property
    def pending_estimate(self) -> int:
        """Node events not yet here, by the node's last report (never negative)."""
        return max(0, self.node_last_seq - self.acked_upto)

    @property
    def down_pending(self) -> int:
        """City events the node has not acknowledged yet."""
        return max(0, self.central_seq - self.down_acked_upto)
