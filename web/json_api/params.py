"""Query parameters both sites' JSON APIs parse the same way."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from rules.clock import OFFICE_TZ, to_utc_iso
from rules.errors import DossierError, aware_time, check_year


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
