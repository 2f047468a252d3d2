"""One SHA-256 over a node's replicated state, computed the same way at the node and the centre.

It covers every event of the node's log (its own and the city's for it) in (origin, seq)
order, each as its canonical MessagePack encoding, then the sorted set of file hashes, then
each dossier's projected state (status, due dates, conflicts, documents, ...) as its
MessagePack encoding, by dossier id. Equal digests mean the two sites hold the same events
and the same files, and show the same dossiers: two sites that folded the same events in
different orders (a clock once reordered them) differ in the last part only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import msgspec

from rules.event_record import EventRecord
from rules.projection import DossierState

_encoder = msgspec.msgpack.Encoder()


def digest(
    records: Iterable[EventRecord], blob_hashes: Iterable[str], states: Iterable[DossierState]
) -> str:
    h = hashlib.sha256(b"motcua-digest-v2\n")
    previous: tuple[str, int] | None = None
    for record in records:
        key = (record.origin, record.seq)
        if previous is not None and key <= previous:
            raise ValueError(f"events must come in (origin, seq) order; {key} after {previous}")
        previous = key
        encoded = _encoder.encode(record)
        h.update(len(encoded).to_bytes(8, "big"))
        h.update(encoded)
    h.update(b"files\n")
    for sha in sorted(set(blob_hashes)):
        h.update(bytes.fromhex(sha))
    h.update(b"dossiers\n")
    for state in sorted(states, key=lambda s: s.id):
        encoded = _encoder.encode(state)
        h.update(len(encoded).to_bytes(8, "big"))
        h.update(encoded)
    return h.hexdigest()
