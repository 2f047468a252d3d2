"""Office hours (``[office_hours]``): the same section at the node and the city."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

import msgspec

from settings.loading import ConfigError


class OfficeHoursSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Each period is ["HH:MM", "HH:MM"]; periods are ordered and do not overlap.
    periods: list[tuple[str, str]] = msgspec.field(
        default_factory=lambda: [("07:30", "11:30"), ("13:30", "17:00")]
    )

    def as_times(self) -> list[tuple[time, time]]:
        return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in self.periods]


def check_office_periods(
    periods: Sequence[tuple[str, str]], source: str
) -> list[tuple[time, time]]:
    """Parsed office hours, or ConfigError: at least one period, ordered, no overlap."""
    try:
        parsed = [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in periods]
    except ValueError as exc:
        raise ConfigError(f"{source}: office_hours.periods: {exc}") from exc
    if not parsed:
        raise ConfigError(f"{source}: office_hours.periods must list at least one period")
    previous_end = time.min
    for start, end in parsed:
        if not previous_end <= start < end:
            raise ConfigError(
                f"{source}: office_hours.periods must be ordered, non-overlapping "
                f"[start, end] pairs; got {list(periods)}"
            )
        previous_end = end
    return parsed
