"""The clock is timed against a Birth only by the ack that names that Birth.

A node coming back after a cut gets, besides its new Birth's answer, the acks the broker
queued for it while it was away, stamped minutes before the Birth left. Taken as the
Birth's answer (the first ack after it), one of them read as a clock minutes ahead with
the Birth's tight round trip: a false ``clock_off`` and receptions refused at every office
whose city was slow (the province load generator saw 54 such alarms after an outage).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import msgspec
import pytest

from node.clock_estimate import clock_check
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from rules.clock_offset import CLOCK_OFF
from sync import wire
from tests.support.scripted_transport import ScriptedTransport
from uplink.node_link import NodeLink

NODE = "xa-test"


@pytest.fixture
def link(runtime: NodeRuntime) -> Iterator[tuple[NodeLink, ScriptedTransport]]:
    # An empty log: the Birth leaves with no batch awaiting an ack.
    settings = msgspec.structs.replace(runtime.config.sync, ack_timeout_seconds=60.0)
    city = ScriptedTransport(NODE)
    yield NodeLink(runtime, city, settings, to_utc_iso(utc_now())), city


def _birth(city: ScriptedTransport) -> wire.Birth:
    births = [m for m in city.sent if isinstance(m, wire.Birth)]
    assert births, city.sent
    return births[-1]


def _ack(city_time: str, birth_bd_seq: int) -> wire.EventAck:
    return wire.EventAck(NODE, NODE, 0, "", city_time, birth_bd_seq)


def test_an_ack_queued_while_away_is_not_the_births_answer(
    runtime: NodeRuntime, link: tuple[NodeLink, ScriptedTransport]
) -> None:
    node_link, city = link
    node_link.turn()
    birth = _birth(city)
    assert birth.bd_seq > 0
    queued = to_utc_iso(utc_now() - timedelta(minutes=5))
    city.reply(_ack(queued, 0))  # an ack of batches, stamped before the cut
    city.reply(_ack(queued, birth.bd_seq + 1))  # names another Birth
    node_link.turn()
    verdict = clock_check(runtime)
    assert verdict.alarm is None, verdict.message
    assert verdict.offset_seconds is None  # nothing was timed
    city.reply(_ack(to_utc_iso(utc_now()), birth.bd_seq))  # the Birth's own answer
    node_link.turn()
    verdict = clock_check(runtime)
    assert verdict.alarm is None, verdict.message
    assert verdict.offset_seconds is not None and abs(verdict.offset_seconds) < 5


def test_the_births_answer_still_finds_a_clock_that_is_off(
    runtime: NodeRuntime, link: tuple[NodeLink, ScriptedTransport]
) -> None:
    node_link, city = link
    node_link.turn()
    ahead_of_us = to_utc_iso(utc_now() + timedelta(minutes=10))
    city.reply(_ack(ahead_of_us, _birth(city).bd_seq))
    node_link.turn()
    verdict = clock_check(runtime)
    assert verdict.alarm == CLOCK_OFF, verdict
    assert verdict.offset_seconds is not None and 590 < verdict.offset_seconds < 610


def test_an_older_city_names_no_birth_and_times_nothing_against_it(
    runtime: NodeRuntime, link: tuple[NodeLink, ScriptedTransport]
) -> None:
    node_link, city = link
    node_link.turn()
    old_format = msgspec.msgpack.encode(["ack", NODE, NODE, 0, "", to_utc_iso(utc_now())])
    older = wire.decode(old_format)
    assert isinstance(older, wire.EventAck) and older.birth_bd_seq == 0
    city.reply(older)
    node_link.turn()
    assert clock_check(runtime).offset_seconds is None
