"""Replication status of a node: link, per-lane backlog, last end-to-end ack, alarm."""

from __future__ import annotations

from datetime import datetime

import msgspec

from node.clock_estimate import clock_check
from node.runtime import NodeRuntime
from rules.clock import from_utc_iso, to_local_iso, utc_now
from rules.clock_offset import ClockCheck
from uplink import outbox


class LaneStatus(msgspec.Struct, frozen=True):
    pending: int  # items not yet acknowledged by the city
    bytes: int  # their size
    oldest_age_seconds: float | None  # age of the oldest unacknowledged item


class SyncStatus(msgspec.Struct, frozen=True):
    enabled: bool
    broker: str
    link: str  # "connected" | "disconnected" | "off"
    connected_since: str | None
    last_error: str
    lanes: dict[str, LaneStatus]  # control, events, blobs
    acked_seq: int
    head_seq: int
    last_ack_at: str | None  # last end-to-end ack of an event (+07:00)
    throughput_bytes_per_s: float
    # "connected_not_draining": the link is up but nothing moves;
    # "local_file_damaged": files whose copy on this disk is missing or damaged were set
    # aside (see last_error and ``motcua check``), the files behind them still go up;
    # "event_too_large_for_broker": an event is larger than the broker's max_packet_size
    # lets through, so nothing behind it goes up until the broker's limit is raised;
    # "clock_off": the city's acks show this clock off by more than sync.clock_alarm_seconds;
    # "clock_behind_log": no estimate vouches for it and it is behind this node's newest
    # event (set back). Receptions and transitions are refused meanwhile; see ``clock``;
    # "log_diverged": the city holds other events at this node's seqs, or sends other
    # events at seqs of its own this node holds (see last_error).
    alarm: str | None  # the most serious of ``alarms`` (the order above is least to most)
    state_updated_at: str | None
    clock: ClockCheck | None = None  # this clock against the city's (rules/clock_offset.py)
    alarms: list[str] = msgspec.field(default_factory=list)  # every alarm raised now
    # The city's answer to a batch, from when the broker had it (the link's smoothed round
    # trip, RFC 6298 SRTT); None until measured or with no link process running.
    round_trip_seconds: float | None = None


def _age(ts: str | None, now: datetime) -> float | None:
    return None if ts is None else round((now - from_utc_iso(ts)).total_seconds(), 1)


def status(rt: NodeRuntime, now: datetime | None = None) -> SyncStatus:
    now = now or utc_now()
    conn = rt.db.read()
    link = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM sync_link")}
    n_events, event_bytes, oldest_event = outbox.pending_event_stats(conn, rt.node_id)
    n_blobs, blob_bytes, oldest_blob = outbox.pending_blob_stats(conn)
    acked = outbox.acked_upto(conn, rt.node_id)
    head = acked + n_events
    last_ack = outbox.last_ack_at(conn, rt.node_id)
    enabled = bool(rt.config.sync.broker)
    updated = link.get("updated_at")
    # A state older than a few write intervals means no link process is running.
    fresh = updated is not None and (now - from_utc_iso(updated)).total_seconds() < 10
    connected = enabled and fresh and link.get("connected") == "1"
    alarms: list[str] = []
    if connected and (n_events or n_blobs):
        last_move = max(
            filter(None, [link.get("last_progress_at"), link.get("connected_since")]), default=None
        )
        quiet = _age(last_move, now)
        if quiet is not None and quiet > rt.config.sync.stall_alarm_seconds:
            alarms.append("connected_not_draining")
    damaged = link.get("damaged_files", "") if fresh else ""
    if damaged:
        alarms.append("local_file_damaged")
    too_large = link.get("too_large", "") if fresh else ""
    if too_large:
        alarms.append("event_too_large_for_broker")
    clock = clock_check(rt, conn)
    if clock.alarm:
        alarms.append(clock.alarm)
    diverged = link.get("diverged", "") or link.get("city_diverged", "")
    if diverged:
        alarms.append("log_diverged")
    return SyncStatus(
        enabled=enabled,
        broker=rt.config.sync.broker,
        link="off" if not enabled else ("connected" if connected else "disconnected"),
        connected_since=to_local_iso(link.get("connected_since")) if connected else None,
        last_error=diverged or clock.message or too_large or damaged or link.get("last_error", ""),
        lanes={
            "control": LaneStatus(0, 0, None),
            "events": LaneStatus(n_events, event_bytes, _age(oldest_event, now)),
            "blobs": LaneStatus(n_blobs, blob_bytes, _age(oldest_blob, now)),
        },
        acked_seq=acked,
        head_seq=head,
        last_ack_at=to_local_iso(last_ack),
        throughput_bytes_per_s=float(link.get("throughput_bytes_per_s", "0")) if fresh else 0.0,
        alarm=alarms[-1] if alarms else None,
        state_updated_at=to_local_iso(updated),
        clock=clock,
        alarms=alarms,
        round_trip_seconds=_seconds(link.get("round_trip_seconds")) if fresh else None,
    )


def _seconds(text: str | None) -> float | None:
    return float(text) if text else None
