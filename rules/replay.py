"""Folding a dossier's events in one canonical order, the same at every site.

Events of one dossier can come from two origins (the commune node and the city). Each
site receives them in a different order, so each site folds them in one canonical order
instead of arrival order, and both then hold the same state. The order merges the
origins by ``(recorded_at, origin)`` but never reorders one origin's events: they stay in
seq order even if that origin's clock once stepped back.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from rules.event_kinds import DOSSIER_EVENT_TYPES, decode_body
from rules.event_record import EventRecord
from rules.projection import DossierState, apply


def canonical_key(record: EventRecord) -> tuple[str, str]:
    return (record.recorded_at, record.origin)


def canonical_order(records: Iterable[EventRecord]) -> list[EventRecord]:
    by_origin: dict[str, list[EventRecord]] = {}
    for record in records:
        by_origin.setdefault(record.origin, []).append(record)
    runs = [sorted(run, key=lambda r: r.seq) for _, run in sorted(by_origin.items())]
    # heapq.merge keeps each run's own order, so one origin's seq order always holds.
    return list(heapq.merge(*runs, key=canonical_key))


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
