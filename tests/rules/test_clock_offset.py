"""The node's clock against the city's: NTP-style estimate, steps seen at once, verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.clock import to_utc_iso
from rules.clock_offset import CLOCK_BEHIND_LOG, CLOCK_OFF, check, keep_better, measure

CITY = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
BOOT = "boot-1"


def _verdict(skew: float, *, step: float = 0.0, boot: str = BOOT, newest: str | None = None):  # type: ignore[no-untyped-def]
    # The ack left at monotonic 100.0 and came back at 100.4; the city stamped it at CITY.
    node_wall = CITY + timedelta(seconds=skew + 0.2)
    estimate = measure(CITY, 100.0, 100.4, node_wall, BOOT)
    later = node_wall + timedelta(seconds=60 + step)  # a minute later, maybe stepped
    return check(
        estimate,
        now_monotonic=160.4,
        now_wall=later,
        boot=boot,
        threshold=120.0,
        newest_own_event_at=newest,
    )


def test_the_offset_is_taken_at_the_middle_of_the_round_trip() -> None:
    estimate = measure(
        CITY, 100.0, 100.4, CITY - timedelta(minutes=10) + timedelta(seconds=0.2), BOOT
    )
    assert abs(estimate.offset_seconds - 600.0) < 1e-6
    assert abs(estimate.uncertainty_seconds - 0.2) < 1e-9


def test_a_clock_ten_minutes_behind_or_five_years_ahead_is_known_off() -> None:
    behind = _verdict(-600)
    assert behind.alarm == CLOCK_OFF and "10.0 min behind the city's" in behind.message
    ahead = _verdict(5 * 365 * 86400)
    assert ahead.alarm == CLOCK_OFF and "days ahead of the city's" in ahead.message
    assert "timedatectl" in ahead.message  # what to do


def test_a_right_clock_raises_nothing_and_a_step_after_the_ack_is_seen_at_once() -> None:
    assert _verdict(3.0).alarm is None
    assert _verdict(3.0, step=-3600).alarm == CLOCK_OFF  # through the monotonic clock
    # Another boot: the monotonic anchor means nothing, the measured offset still holds.
    assert _verdict(3.0, step=-3600, boot="boot-2").alarm is None
    assert _verdict(-600, boot="boot-2").alarm == CLOCK_OFF


def test_a_clock_behind_its_own_log_is_refused_unless_the_city_vouches_for_it() -> None:
    future = to_utc_iso(CITY + timedelta(days=5 * 365))
    no_estimate = check(
        None,
        now_monotonic=0.0,
        now_wall=CITY,
        boot=BOOT,
        threshold=120.0,
        newest_own_event_at=future,
    )
    assert no_estimate.alarm == CLOCK_BEHIND_LOG and "set back" in no_estimate.message
    assert _verdict(1.0, newest=future).alarm is None  # the city says this clock is right


def test_the_tighter_agreeing_estimate_is_kept() -> None:
    quick = measure(CITY, 100.0, 100.2, CITY, BOOT)
    slow = measure(CITY + timedelta(seconds=5), 103.0, 113.0, CITY + timedelta(seconds=5), BOOT)
    assert keep_better(quick, slow, 113.0, BOOT) is quick
    stepped_city = measure(CITY + timedelta(hours=1), 103.0, 113.0, CITY, BOOT)
    assert keep_better(quick, stepped_city, 113.0, BOOT) is stepped_city
