"""Errors the dossier rules raise; the API turns them into 4xx answers naming the field."""

from __future__ import annotations

from datetime import datetime

#: Times a request may name: no dossier is older or due later, and converting year 1 or
#: 9999 to UTC would overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


class DossierError(Exception):
    """A request the rules refuse; ``field`` names the input at fault, when one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DossierError):
    pass


class ClockUnsafe(DossierError):
    """This machine's clock is known to be wrong, so a time it would record (a reception,
    an appointment, a step's time) would be wrong too: refused, nothing written (HTTP 503,
    until the clock is set right)."""


def aware_time(moment: datetime, field: str, example: str) -> datetime:
    """``moment`` if it has a UTC offset and a plausible year; DossierError naming
    ``field`` otherwise (``example`` shows the expected form)."""
    if moment.tzinfo is None:
        raise DossierError(f"{field} needs a UTC offset, e.g. {example}", field)
    check_year(moment.year, field)
    return moment


def check_year(year: int, field: str) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise DossierError(
            f"{field} must fall between the years {EARLIEST_YEAR} and {LATEST_YEAR}", field
        )
