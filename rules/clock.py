"""Time in one place: UTC is stored, Asia/Ho_Chi_Minh is shown.

Every timestamp that enters the database goes through :func:`to_utc_iso`; every
timestamp that leaves through the API goes through :func:`to_local_iso`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _system_clock() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_clock


def utc_now() -> datetime:
    """This machine's wall clock: every time the node or the city records comes from here."""
    return _source()


def use_clock(source: Callable[[], datetime] | None) -> None:
    """Read the wall clock through ``source`` (None: the system clock again).

    Only the process entry point calls it (``cli/clock_skew.py``), so that end-to-end
    tests can run a real process whose clock is wrong, as a machine's can be; and tests
    in process, to run at a chosen time of day (``tests/support/clock.py``).
    """
    global _source
    _source = source or _system_clock


def to_utc_iso(moment: datetime) -> str:
    """``2027-02-05T02:30:00.000000Z``: fixed width so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: a time zone is required")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_utc_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


#: How a UTC instant is written in the log and on the wire: ``YYYY-MM-DDTHH:MM:SS[.f]Z``
#: with up to 9 fraction digits (those past microseconds are dropped when parsed).
UTC_TEXT = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z\Z")


def parse_utc_text(text: str) -> datetime:
    """The instant ``text`` names; ValueError unless it is written as ``UTC_TEXT`` says and
    is a real time (``2027-13-45T99:99:99Z`` has the right shape)."""
    if not UTC_TEXT.match(text):
        raise ValueError(f"{text[:40]!r} is not a UTC ISO 8601 time ending in Z")
    try:
        return from_utc_iso(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real time: {exc}") from None


def to_local_iso(moment: datetime | str | None, tz: ZoneInfo = OFFICE_TZ) -> str | None:
    """ISO 8601 with the office's offset (``+07:00``), seconds precision."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = from_utc_iso(moment)
    return moment.astimezone(tz).isoformat(timespec="seconds")
