"""Time in one place: UTC is stored, Asia/Ho_Chi_Minh is shown.

Every timestamp that enters the database goes through :func:`to_utc_iso`; every
timestamp that leaves through the API goes through :func:`to_local_iso`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc_iso(moment: datetime) -> str:
    """``2027-02-05T02:30:00.000000Z``: fixed width so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: a time zone is required")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_utc_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def utc_instant(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`` (the wire allows 0-9 fraction digits);
    digits past microseconds are dropped. ValueError if it is no real instant
    (``2027-13-45T99:99:99Z`` has the right shape)."""
    main, _, rest = text.rstrip("Z").partition(".")
    micros = (rest + "000000")[:6] if rest else "000000"
    return datetime.fromisoformat(f"{main}.{micros}+00:00")


def to_local_iso(moment: datetime | str | None, tz: ZoneInfo = OFFICE_TZ) -> str | None:
    """ISO 8601 with the office's offset (``+07:00``), seconds precision."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = from_utc_iso(moment)
    return moment.astimezone(tz).isoformat(timespec="seconds")
