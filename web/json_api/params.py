"""Query and path parameters shared by both APIs, bounded where they are decoded.

A bound declared here is enforced by the decoder (a 400 naming the parameter) and published
in the OpenAPI document, so clients written against the document know it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from rules.clock import OFFICE_TZ, to_utc_iso
from rules.errors import DossierError, aware_time, check_year

MAX_LIMIT = 500
# SQLite and PostgreSQL hold LIMIT/OFFSET in a signed 64-bit integer: a larger ``offset``
# used to reach the database and fail there as a 500. The bound is the largest integer a
# JSON number holds exactly (the document states bounds as floats, and 2**63 - 1 would be
# published rounded up to 2**63), far past any real list.
MAX_OFFSET = 2**53 - 1

# No C0/C1 control characters: a NUL in a LIKE pattern ends it early in SQLite (``q=%00``
# matched every dossier) and PostgreSQL refuses NUL in text outright.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"
MAX_SEARCH_LENGTH = 200

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description="How many items, at most, to return.")
]
Offset = Annotated[
    int, QueryParameter(ge=0, le=MAX_OFFSET, description="How many matching items to skip.")
]
SearchQuery = Annotated[
    str | None,
    QueryParameter(
        max_length=MAX_SEARCH_LENGTH,
        pattern=NO_CONTROL_CHARACTERS,
        description="Words to find in codes, names and procedures; accents and case are ignored."
        " Control characters are refused.",
    ),
]
# A free-text id in a path or a filter (dossier, node, quarantine or scan id).
TextId = Annotated[str, PathParameter(max_length=200, pattern=NO_CONTROL_CHARACTERS)]
NodeFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        pattern=NO_CONTROL_CHARACTERS,
        description="Only this commune node's (its node id).",
    ),
]


def parse_bound(value: str | None, name: str, *, end: bool) -> str | None:
    """A date (office-local whole day; ``to`` is inclusive) or an ISO datetime with offset."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            check_year(day.year, name)
            day += timedelta(days=1 if end else 0)
            return to_utc_iso(datetime.combine(day, time.min, OFFICE_TZ))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise DossierError(
            f"{name} must be a date (2027-02-05) or an ISO 8601 time", name
        ) from None
    return to_utc_iso(aware_time(moment, name, "2027-02-05T00:00:00+07:00"))
