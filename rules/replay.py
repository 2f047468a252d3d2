"""Folding a dossier's events in one canonical order, the same at every site.

Events of one dossier can come from two origins (the commune node and the city). Each
site receives them in a different order, so each site folds them in one canonical order
instead of arrival order, and both then hold the same state.

The order is causal first: an event that names the dossier version it was made on (its
``after``: the id of the last event its author had folded) comes after that event, and
one origin's events stay in seq order, whatever the clocks said. Only events that no such
chain orders (made concurrently at two sites, or written before events named their
version) are merged by ``(recorded_at, origin, seq)``; concurrent ones are still flagged
as conflicts by the projection. A log without any ``after`` folds exactly as the old
merge by ``(recorded_at, origin)`` of the per-origin seq runs did.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import msgspec

from rules.event_kinds import DOSSIER_EVENT_TYPES, decode_body
from rules.event_record import EventRecord
from rules.projection import DossierState, apply

#: Kinds whose body may name the version they were made on.
FOLLOWING_KINDS = frozenset(
    {"dossier_transitioned", "document_attached", "lookup_pin_issued", "dossier_rated"}
)


class _Version(msgspec.Struct):
    """The one field the order needs, read without decoding the whole body."""

    after: str | None = None


_version_decoder = msgspec.json.Decoder(_Version)


def made_after(record: EventRecord) -> str | None:
    """The id of the event ``record`` was made after, or None (none named, or unreadable)."""
    if record.kind not in FOLLOWING_KINDS:
        return None
    try:
        return _version_decoder.decode(record.body).after
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None  # the fold reports the bad body; the order just ignores it


def canonical_key(record: EventRecord) -> tuple[str, str, int]:
    return (record.recorded_at, record.origin, record.seq)


def canonical_order(records: Iterable[EventRecord]) -> list[EventRecord]:
    """A topological order of the causal chains, ties broken by ``canonical_key``."""
    by_origin: dict[str, list[EventRecord]] = {}
    for record in records:
        by_origin.setdefault(record.origin, []).append(record)
    runs = {origin: sorted(run, key=lambda r: r.seq) for origin, run in by_origin.items()}
    ids = {r.id for run in runs.values() for r in run}
    waiting: dict[str, list[EventRecord]] = {}  # event id -> events made after it
    parent: dict[str, str] = {}  # id -> the held event it waits for
    for run in runs.values():
        for record in run:
            after = made_after(record)
            if after is not None and after in ids and after != record.id:
                parent[record.id] = after
                waiting.setdefault(after, []).append(record)
    position = dict.fromkeys(runs, 0)  # next index in each origin's run
    done: set[str] = set()
    queued: set[str] = set()
    ready: list[tuple[tuple[str, str, int], EventRecord]] = []

    def offer(origin: str) -> None:
        """Make the origin's next event ready if the event it names is folded already."""
        run, i = runs[origin], position[origin]
        if i == len(run) or run[i].id in queued:
            return
        named = parent.get(run[i].id)
        if named is None or named in done:
            queued.add(run[i].id)
            heapq.heappush(ready, (canonical_key(run[i]), run[i]))

    for origin in runs:
        offer(origin)
    ordered: list[EventRecord] = []
    total = sum(len(run) for run in runs.values())
    while len(ordered) < total:
        if not ready:
            # Only a forged or broken log names versions in a cycle: fold the earliest head
            # as if it named none, the same way at every site.
            heads = [runs[o][position[o]] for o in runs if position[o] < len(runs[o])]
            head = min(heads, key=canonical_key)
            parent.pop(head.id, None)
            offer(head.origin)
        _, record = heapq.heappop(ready)
        ordered.append(record)
        done.add(record.id)
        position[record.origin] += 1
        offer(record.origin)
        for child in waiting.get(record.id, ()):
            offer(child.origin)
    return ordered


def last_event_id(records: Iterable[EventRecord]) -> str | None:
    """The dossier version a new event is made on: the last event of the canonical order."""
    ordered = canonical_order(records)
    return ordered[-1].id if ordered else None


def refold(records: Iterable[EventRecord]) -> DossierState | None:
    """The state of one dossier from all its events, whatever order they arrived in."""
    state: DossierState | None = None
    for record in canonical_order(records):
        body = decode_body(record.body)
        if isinstance(body, DOSSIER_EVENT_TYPES):
            state = apply(
                state,
                body,
                origin=record.origin,
                event_id=record.id,
                recorded_at=record.recorded_at,
            )
    return state
