"""Small readers the staff pages share: the user's translator, a local date and time."""

from __future__ import annotations

from datetime import datetime

from rules.clock import OFFICE_TZ
from rules.errors import DossierError


def parse_local_datetime(text: str, field: str) -> datetime | None:
    """An ``<input type="datetime-local">`` value, in the office's time zone; None if blank."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise DossierError(f"{field} is not a date and time", field) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=OFFICE_TZ)
