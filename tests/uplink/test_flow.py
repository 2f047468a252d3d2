"""The link's throughput measure on a slow uplink, and the file offers' timer.

``DataFlight`` is driven on a simulated serial link (each message leaves when the one
before it has gone, at the link's rate), with the sender keeping the queue as full as
``has_room`` lets it, as ``NodeLink`` does; time is the test's, not the machine's.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from node.dossier_service import attach_document
from node.runtime import NodeRuntime
from rules.permissions import seeding_machine
from settings.sync import SyncSettings
from storage.db import scalar
from sync import wire
from sync.topics import Lane
from tests.support.replication import add_dossiers
from tests.support.wait import wait_until
from uplink.blob_lane import BlobLane
from uplink.flow import MIN_FLIGHT_BYTES, AckTimer, DataFlight, Sent
from uplink.link_state import LinkStateWriter


@dataclass
class _OnTheLink:
    """A message the broker has once the simulated link carried its last byte."""

    done_at: float
    clock: list[float]

    def reached_broker(self) -> bool:
        return self.clock[0] >= self.done_at


def _drain(rate: float, largest: int, seconds: float = 60.0) -> tuple[list[float], int]:
    """The rate estimates of the second half of a drain, and the most bytes ever queued."""
    clock, flight, link_free, most = [0.0], DataFlight(), 0.0, 0
    estimates: list[float] = []
    while clock[0] < seconds:
        flight.update(clock[0])
        while flight.has_room():
            size = min(flight.limit(), largest)  # batches are cut to the limit, as the node does
            link_free = max(link_free, clock[0]) + size / rate
            flight.add(_OnTheLink(link_free, clock), size, clock[0])
        most = max(most, flight.queued_bytes)
        if clock[0] > seconds / 2:
            estimates.append(flight.rate)
        clock[0] += 0.01  # a turn of the link's loop
    return estimates, most


@pytest.mark.parametrize("rate", [20_000, 64_000, 250_000])
def test_the_throughput_of_a_slow_link_is_measured_not_overestimated(rate: int) -> None:
    # 64 KiB: a hundred events as a node sends them (~640 B each with their framing).
    estimates, most = _drain(rate, largest=64 * 1024)
    # Before, a message that took 1.6 s to cross was counted in the half second its
    # acknowledgement fell in: 67 kB/s on average (peaks at 125) on a 20 kB/s link, and
    # 128 KiB (6.4 s of the link) queued ahead of every new dossier or file offer.
    assert all(abs(e - rate) <= 0.05 * rate for e in estimates), (min(estimates), max(estimates))
    # About a second of data at most (at least one 32 KiB batch), plus the message that
    # was let in when the queue was just under it.
    limit = max(MIN_FLIGHT_BYTES, rate)
    assert most <= 2 * limit, most


def test_a_file_offer_queued_behind_data_is_not_offered_again(
    runtime: NodeRuntime, tmp_path: Path
) -> None:
    add_dossiers(runtime, 1, threads=1)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(os.urandom(4096))
    attach_document(
        runtime, str(scalar(runtime.db.read(), "SELECT id FROM dossiers")),
        runtime.blobs.put_file(scan), mime="application/pdf", role="component",
        copy_kind="original", filename=scan.name, actor=seeding_machine("t"),
    )  # fmt: skip
    offers: list[wire.ChunkOffer] = []
    queued = [True]  # the offer waits behind a slow link's data: no PUBACK yet

    def publish(lane: Lane, message: wire.Message) -> Sent:
        assert lane is Lane.BLOBS and isinstance(message, wire.ChunkOffer)
        offers.append(message)
        return Sent(_Held(queued))

    timer = AckTimer(rto=0.05)
    settings = SyncSettings(ack_timeout_seconds=0.05)
    lane = BlobLane(runtime, settings, LinkStateWriter(runtime), publish, DataFlight(), timer)
    lane.send(time.monotonic())
    assert len(offers) == 1
    # Ten timeouts pass while it is still queued (the city answers other messages): before,
    # it was offered again each time and stepped aside for a minute after three.
    deadline = time.monotonic() + 10 * timer.rto
    while time.monotonic() < deadline:
        lane.stamp(time.monotonic())
        lane.send(time.monotonic())
    assert len(offers) == 1 and lane.current is not None
    # The broker has it: unanswered for a timeout from then, it is offered again.
    queued[0] = False
    lane.stamp(time.monotonic())
    had_it = time.monotonic()

    def offered_again() -> bool:
        lane.stamp(time.monotonic())
        lane.send(time.monotonic())
        return len(offers) == 2

    wait_until(offered_again, timeout=10, interval=0.001, what="the offer sent again")
    assert time.monotonic() - had_it >= timer.rto


@dataclass
class _Held:
    queued: list[bool]

    def reached_broker(self) -> bool:
        return not self.queued[0]
