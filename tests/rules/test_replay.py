"""The canonical fold orders a dossier's events causally, clocks only breaking ties."""

from __future__ import annotations

import heapq
import random
from datetime import UTC, datetime, timedelta

import msgspec
import uuid6

from rules.clock import to_utc_iso
from rules.event_kinds import (
    DossierReceived,
    DossierTransitioned,
    EventBody,
    LookupPinIssued,
    Person,
    encode_body,
    kind_of,
)
from rules.event_record import EVENT_FORMAT, EventRecord
from rules.replay import canonical_order, last_event_id, refold

T0 = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
DOSSIER = "0190c0de-0000-7000-8000-000000000001"


def _record(origin: str, seq: int, at: datetime, body: EventBody) -> EventRecord:
    return EventRecord(
        origin, seq, str(uuid6.uuid7()), DOSSIER, kind_of(body), to_utc_iso(at), "staff-1",
        EVENT_FORMAT, encode_body(body),
    )  # fmt: skip


def _received(at: datetime) -> EventRecord:
    body = DossierReceived(
        DOSSIER, "000.00.15.H42-270201-0001", "1.000894", "2025.1", "Đăng ký kết hôn", 5,
        "working_days", Person("Nguyễn Văn An"), None, "in_person", [], 2, to_utc_iso(at),
        to_utc_iso(at), to_utc_iso(at + timedelta(days=7)),
    )  # fmt: skip
    return _record("xa-1", 1, at, body)


def _move(
    origin: str, seq: int, at: datetime, action: str, move: tuple[int, int], after: str | None
) -> EventRecord:
    body = DossierTransitioned(DOSSIER, action, *move, at=to_utc_iso(at), after=after)
    return _record(origin, seq, at, body)


def _old_order(records: list[EventRecord]) -> list[EventRecord]:
    """The fold order before events named their version: per-origin runs merged by time."""
    runs: dict[str, list[EventRecord]] = {}
    for r in records:
        runs.setdefault(r.origin, []).append(r)
    ordered = [sorted(run, key=lambda r: r.seq) for _, run in sorted(runs.items())]
    return list(heapq.merge(*ordered, key=lambda r: (r.recorded_at, r.origin)))


def test_an_event_made_after_another_folds_after_it_whatever_the_clocks() -> None:
    # The node's clock is 10 minutes behind the city's (the reproduction).
    received = _received(T0)
    city = T0 + timedelta(minutes=5)
    start = _move("central", 1, city, "start", (2, 4), received.id)
    node_late = city - timedelta(minutes=10) + timedelta(seconds=30)
    supplement = _move("xa-1", 2, node_late, "request_supplement", (4, 5), start.id)
    for arrival in ([received, start, supplement], [supplement, received, start]):
        assert [r.id for r in canonical_order(arrival)] == [received.id, start.id, supplement.id]
        state = refold(arrival)
        assert state is not None and state.status == 5 and state.conflicts == []
    assert last_event_id([supplement, start, received]) == supplement.id


def test_events_without_a_version_fold_exactly_as_before() -> None:
    rng = random.Random(9)
    for _ in range(200):
        records = [_received(T0)]
        seqs = {"xa-1": 1, "central": 0}
        for _ in range(rng.randrange(0, 12)):
            origin = rng.choice(["xa-1", "central"])
            seqs[origin] += 1
            at = T0 + timedelta(seconds=rng.randrange(-600, 600))  # clocks any which way
            records.append(_move(origin, seqs[origin], at, "start", (2, 4), None))
        rng.shuffle(records)
        assert canonical_order(records) == _old_order(records)


def test_concurrent_events_are_ordered_by_time_and_flagged_as_a_conflict() -> None:
    received = _received(T0)
    city = _move("central", 1, T0 + timedelta(minutes=2), "start", (2, 4), received.id)
    node = _move("xa-1", 2, T0 + timedelta(minutes=1), "request_supplement", (2, 5), received.id)
    for arrival in ([received, city, node], [node, city, received]):
        assert [r.id for r in canonical_order(arrival)] == [received.id, node.id, city.id]
        state = refold(arrival)
        assert state is not None and state.status == 4
        assert [c.event_id for c in state.conflicts] == [city.id]


def test_a_causal_chain_across_both_sites_survives_any_arrival_order() -> None:
    received = _received(T0)
    chain = [received]
    moves = [(2, 4), (4, 5), (5, 4), (4, 6), (6, 4), (4, 9)]
    actions = ["start", "request_supplement", "complete_supplement", "request_fee"]
    actions += ["fee_paid", "resolve"]
    seqs = {"xa-1": 1, "central": 0}
    rng = random.Random(4)
    for i, move in enumerate(moves):
        origin = "central" if i % 2 == 0 else "xa-1"
        seqs[origin] += 1
        skew = timedelta(minutes=-30 if origin == "xa-1" else 0)  # the node's clock behind
        at = T0 + timedelta(minutes=i) + skew
        chain.append(_move(origin, seqs[origin], at, actions[i], move, chain[-1].id))
    for _ in range(20):
        arrival = chain[:]
        rng.shuffle(arrival)
        assert [r.id for r in canonical_order(arrival)] == [r.id for r in chain]
        state = refold(arrival)
        assert state is not None and state.status == 9 and state.conflicts == []


def test_a_forged_cycle_of_versions_still_gives_one_order_at_every_site() -> None:
    received = _received(T0)
    a_id, b_id = str(uuid6.uuid7()), str(uuid6.uuid7())
    a = _move("central", 1, T0 + timedelta(minutes=1), "start", (2, 4), b_id)
    b = _move("xa-1", 2, T0 + timedelta(minutes=2), "request_supplement", (4, 5), a_id)
    a, b = msgspec.structs.replace(a, id=a_id), msgspec.structs.replace(b, id=b_id)
    orders = {tuple(r.id for r in canonical_order(p)) for p in ([received, a, b], [b, a, received])}
    assert orders == {(received.id, a.id, b.id)}


def test_a_pin_issued_on_a_node_behind_folds_after_the_city_event_it_saw() -> None:
    # The PIN (form 01 printed late) names the version it was issued on like a transition:
    # with the node's clock 10 minutes behind, it still folds after the city's start.
    received = _received(T0)
    start = _move("central", 1, T0 + timedelta(minutes=5), "start", (2, 4), received.id)
    late = T0 + timedelta(minutes=-4)
    pin = _record("xa-1", 2, late, LookupPinIssued(DOSSIER, "482913", after=start.id))
    for arrival in ([received, start, pin], [pin, start, received]):
        assert [r.id for r in canonical_order(arrival)] == [received.id, start.id, pin.id]
        state = refold(arrival)
        assert state is not None and state.status == 4 and state.lookup_pin == "482913"
        assert state.conflicts == []
    assert last_event_id([pin, start, received]) == pin.id
