"""The unit of the append-only event log, as stored and as replicated.

One row of the ``events`` table. The log is also the outbox: ``sync/`` ships these
records as they are, so their shape is a wire contract. Evolve it the msgspec way:
new fields get defaults and go last; never reorder or retype a field.
"""

from __future__ import annotations

import msgspec

from rules.errors import DossierError

#: Format version written into every new event; readers accept all versions up to it.
EVENT_FORMAT = 1

#: Largest encoded body an event may have. Every event must fit one replication message
#: (4 MiB) with room for others, and a slow uplink should carry it in seconds (256 KiB
#: is one file chunk): a larger event (a 5 MiB catalog component) would stop every event
#: behind it. Real bodies are a few KiB, the largest request the API admits 130 KB (100
#: components of 200 characters, each escaped to 6 bytes of JSON: derived from the request
#: Structs in tests/node/test_api_event_size.py); files travel as documents, never in an event.
MAX_EVENT_BODY_BYTES = 256 * 1024


class EventTooLarge(DossierError):
    """An event body over ``MAX_EVENT_BODY_BYTES``: refused where it is made, nothing written."""


def check_body_size(kind: str, body: bytes) -> None:
    """Raise ``EventTooLarge`` naming the kind and sizes when ``body`` is over the limit."""
    if len(body) > MAX_EVENT_BODY_BYTES:
        raise EventTooLarge(
            f"a {kind} event of {len(body)} bytes is over the {MAX_EVENT_BODY_BYTES}-byte "
            "limit of one event: shorten its text (files go as documents)"
        )


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
