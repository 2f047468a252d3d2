"""The unit of the append-only event log, as stored and as replicated.

One row of the ``events`` table. The log is also the outbox: ``sync/`` ships these
records as they are, so their shape is a wire contract. Evolve it the msgspec way:
new fields get defaults and go last; never reorder or retype a field.
"""

from __future__ import annotations

import msgspec

#: Format version written into every new event; readers accept all versions up to it.
EVENT_FORMAT = 1


class EventRecord(msgspec.Struct, frozen=True, array_like=True):
    """One immutable event, keyed by ``(origin, seq)``; ``seq`` is dense per origin."""

    origin: str  # node id that appended it ("central" for the city data centre)
    seq: int  # 1, 2, 3, ... per origin, no gaps
    id: str  # UUIDv7, globally unique
    stream: str  # dossier id, or "catalog" / "calendar" for reference data
    kind: str  # e.g. "dossier_received", "dossier_transitioned", "document_attached"
    recorded_at: str  # UTC, ISO 8601 with "Z"
    actor: str  # who did it (staff login, "scanner:<folder>", "central:<user>")
    format: int  # EVENT_FORMAT at the time of writing
    body: bytes  # the kind's payload, JSON-encoded by msgspec
