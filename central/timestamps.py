"""UTC timestamps as the wire and the log write them, compared as instants, not as text.

Nodes write ``...:SS.ffffffZ`` but the wire accepts 0-9 fraction digits, so two valid
spellings of one instant can sort differently as strings; presence compares sessions
with :func:`instant`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.clock import from_utc_iso, to_utc_iso

#: Parses a timestamp the wire has checked (``rules.clock.parse_utc_text``) as an instant.
instant = from_utc_iso


def after(previous: list[str], now: datetime) -> str:
    """``now``, or just after the latest of ``previous`` if that is later (clock skew).

    The canonical fold orders a dossier's events by ``recorded_at``; a city event must
    sort after every event the city saw when it decided, even if a node's clock runs ahead.
    """
    latest = max((instant(p) for p in previous), default=None)
    moment = now.astimezone(UTC)
    if latest is not None and latest >= moment:
        moment = latest + timedelta(microseconds=1)
    return to_utc_iso(moment)
