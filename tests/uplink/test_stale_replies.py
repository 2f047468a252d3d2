"""Replies from several city receivers arrive out of order: the mark never goes back on one.

Deterministic: the link runs turn by turn over a scripted in-process transport, and the
test plays the city's receivers, delivering their replies in the order a shared
subscription can (``tests/e2e/test_shared_receivers.py`` shows the same with real
processes).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import msgspec
import pytest

from node import event_log
from node.clock_estimate import clock_check
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from sync import wire
from tests.support.replication import add_dossiers
from tests.support.scripted_transport import ScriptedTransport
from uplink import outbox
from uplink.node_link import NodeLink

NODE = "xa-test"


@pytest.fixture
def scripted(runtime: NodeRuntime) -> Iterator[tuple[NodeLink, ScriptedTransport]]:
    add_dossiers(runtime, 10, threads=1)  # at least 10 events
    settings = msgspec.structs.replace(
        runtime.config.sync, batch_events=2, window_batches=4, ack_timeout_seconds=60.0
    )
    transport = ScriptedTransport(NODE)
    yield NodeLink(runtime, transport, settings, to_utc_iso(utc_now())), transport


def _ack(rt: NodeRuntime, upto: int) -> wire.EventAck:
    return wire.EventAck(NODE, NODE, upto, event_log.id_at(rt.db.read(), NODE, upto) or "")


def test_a_gap_reply_overtaken_by_a_higher_ack_is_ignored(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    link, transport = scripted
    link.turn()
    assert transport.batches_from(0) == [1, 3, 5, 7]  # the window: four batches of two
    # Receiver A stored 1..6 and acks; receiver B had seen batch 5 before A's commit and
    # asked from 3, but its reply comes second.
    transport.reply(_ack(runtime, 6))
    transport.reply(wire.ResendRequest(NODE, NODE, 3))
    before = len(transport.sent)
    link.turn()
    assert outbox.acked_upto(runtime.db.read(), NODE) == 6  # not 2
    assert 3 not in transport.batches_from(before) and 5 not in transport.batches_from(before)
    assert transport.batches_from(before)[0] == 9  # the window moves on


def test_a_real_gap_at_or_above_the_mark_is_sent_again(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    link, transport = scripted
    link.turn()
    transport.reply(_ack(runtime, 2))
    transport.reply(wire.ResendRequest(NODE, NODE, 5))  # the city lost batch 5..6
    before = len(transport.sent)
    link.turn()
    assert outbox.acked_upto(runtime.db.read(), NODE) == 2
    assert transport.batches_from(before)[0] == 5


def test_a_city_that_went_back_rewinds_the_mark_and_gets_everything_again(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    link, transport = scripted
    link.turn()
    transport.reply(_ack(runtime, 8))
    link.turn()
    birth = next(m for m in transport.sent if isinstance(m, wire.Birth))
    assert birth.acked_seq == 0  # sent before any ack
    # The city restored from an old copy answers a later Birth: it holds 4, was told 8.
    transport.reply(wire.ResendRequest(NODE, NODE, 5, rewind=True))
    before = len(transport.sent)
    link.turn()
    assert outbox.acked_upto(runtime.db.read(), NODE) == 4
    assert transport.batches_from(before)[:2] == [5, 7]


def _refused(from_seq: int, batch: int) -> wire.ResendRequest:
    """A receiver's gap reply: it held ``from_seq - 1`` and refused the batch at ``batch``."""
    return wire.ResendRequest(NODE, NODE, from_seq, refused_seq=batch)


@pytest.mark.parametrize("ack_first", [True, False], ids=["ack_first", "refusal_first"])
def test_batches_refused_behind_one_on_its_way_go_again_at_once(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport], ack_first: bool
) -> None:
    # The e2e failure under load: receiver A has batches 1 and 5, B has 3 and 7. B takes
    # 3 before A committed 1 (refused), A commits 1, then 5 and 7 are refused behind the
    # missing 3. Nothing after 2 is on its way any more: the node must send 3, 5, 7 again
    # now, not after the ack timeout (60 s here, backing off to minutes), which left a
    # node with a backlog never converging.
    link, transport = scripted
    link.turn()
    assert transport.batches_from(0) == [1, 3, 5, 7]
    replies: list[wire.Message] = [_ack(runtime, 2), _refused(1, 3)]
    for reply in replies if ack_first else reversed(replies):
        transport.reply(reply)
    transport.reply(_refused(3, 5))
    transport.reply(_refused(3, 7))
    before = len(transport.sent)
    link.turn()
    # Sent again at once, with at most half the window (then one more per ack) in flight:
    # fewer batches for the receivers to reorder.
    again = transport.batches_from(before)
    assert again[:2] == [3, 5] and len(again) <= 3 and 1 not in again
    transport.reply(_ack(runtime, 4))
    link.turn()
    transport.reply(_ack(runtime, 6))
    link.turn()
    assert outbox.acked_upto(runtime.db.read(), NODE) == 6
    sent = transport.batches_from(before)
    assert sent[:3] == [3, 5, 7]
    assert len(sent) == len(set(sent)), f"a refused batch sent twice: {sent}"


def test_a_burst_of_refusals_goes_back_once(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    # Batch 3 may be on its way through the other receiver, or lost (one receiver): the
    # node cannot tell, so it goes back to 3 at once (one duplicate at worst), and the
    # other refusals of that pass send nothing more.
    link, transport = scripted
    link.turn()
    transport.reply(_ack(runtime, 2))
    transport.reply(_refused(3, 5))
    transport.reply(_refused(3, 7))
    before = len(transport.sent)
    link.turn()
    assert transport.batches_from(before) == [3, 5]  # half the window
    transport.reply(_refused(3, 5))  # the new copy of 5 overtook the new 3: again
    transport.reply(_ack(runtime, 4))
    link.turn()
    transport.reply(_ack(runtime, 8))
    link.turn()
    assert outbox.acked_upto(runtime.db.read(), NODE) == 8
    # 5 went again (3, acked meanwhile, did not); the window grew back by one per ack.
    assert transport.batches_from(before)[:4] == [3, 5, 5, 7]


def test_a_city_restored_under_its_receivers_gets_one_resend_then_a_birth_decides(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    link, transport = scripted
    link.turn()
    transport.reply(_ack(runtime, 4))
    link.turn()
    # The city went back to 0 under running receivers: every batch is refused from 1.
    births = sum(isinstance(m, wire.Birth) for m in transport.sent)
    for _ in range(3):
        transport.reply(_refused(1, 5))
        link.turn()
    assert transport.batches_from(0).count(5) == 2  # the first copy and one resend
    assert sum(isinstance(m, wire.Birth) for m in transport.sent) == births + 1
    assert outbox.acked_upto(runtime.db.read(), NODE) == 4  # only the Birth's answer rewinds


def test_a_stale_ack_is_never_timed_against_a_probe_birth(
    runtime: NodeRuntime, scripted: tuple[NodeLink, ScriptedTransport]
) -> None:
    # An ack that pops nothing was taken as the answer to the Birth last sent. A probe
    # Birth goes out while batches are in flight; a stale ack from the other receiver,
    # stamped before it left, then "measured" the clock off by however old the ack was,
    # with the tight uncertainty of the Birth's short round trip (here 5 minutes: the
    # alarm, and receptions refused, on a sound clock).
    link, transport = scripted
    link.turn()
    now = to_utc_iso(utc_now())
    transport.reply(msgspec.structs.replace(_ack(runtime, 2), city_time=now))
    transport.reply(wire.ResendRequest(NODE, NODE, 1))  # stale: a probe Birth follows
    link.turn()
    assert sum(isinstance(m, wire.Birth) for m in transport.sent) == 2
    old = to_utc_iso(utc_now() - timedelta(minutes=5))
    transport.reply(msgspec.structs.replace(_ack(runtime, 2), city_time=old))
    link.turn()
    verdict = clock_check(runtime)
    assert verdict.alarm is None, verdict.message
    assert verdict.offset_seconds is not None and abs(verdict.offset_seconds) < 5
