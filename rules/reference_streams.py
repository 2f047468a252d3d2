"""The streams reference data is logged on: one for the catalog, one for the calendar.

Every node's log and the city's copy of it use these names; the city also appends its own
catalog and calendar events to them.
"""

from __future__ import annotations

from rules.event_kinds import CalendarDaySet, EventBody, ProcedureUpserted, kind_of

CATALOG_STREAM = "catalog"  # procedure_upserted events
CALENDAR_STREAM = "calendar"  # calendar_day_set events


def reference_stream(body: EventBody) -> str:
    """The stream a reference event goes on; TypeError for any other kind."""
    if isinstance(body, ProcedureUpserted):
        return CATALOG_STREAM
    if isinstance(body, CalendarDaySet):
        return CALENDAR_STREAM
    raise TypeError(f"{kind_of(body)} is not reference data")
