"""How far this node's clock is from the city's, learnt from the city's acks (pure).

Each ``EventAck`` carries the city's time when it answered (``city_time``). The node knows
when it sent what the ack answers and when the ack came, both on its monotonic clock, so
as NTP does it takes the city's time to be at the middle of that round trip, give or take
half of it: ``offset = city_time - node wall time at the middle``.

The estimate is anchored to the monotonic clock (``city_minus_monotonic``), which a
wall-clock step does not move: as long as the machine has not rebooted, the city's time
now is ``monotonic now + city_minus_monotonic``, so a clock stepped after the last ack is
seen at once, without a new ack, in any process of the same boot. After a reboot only the
wall-clock offset measured then is left. Either way the uncertainty grows with the
estimate's age by ``DRIFT`` (a quartz clock left to itself drifts well under 100 ppm).

The clock is "known to be off" when even the most favourable reading of the estimate
(offset minus uncertainty) is past the threshold (``sync.clock_alarm_seconds``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from rules.clock import from_utc_iso, to_utc_iso

#: Growth of the uncertainty per second of the estimate's age (100 ppm).
DRIFT = 1e-4
#: The alarms: the city's acks show this clock off; no city estimate, and this clock is
#: behind the newest event this node wrote (it was stepped back).
CLOCK_OFF = "clock_off"
CLOCK_BEHIND_LOG = "clock_behind_log"


class ClockEstimate(msgspec.Struct, frozen=True):
    """One measurement of the city's time against this node's clocks."""

    offset_seconds: float  # city minus this node's wall clock, at the measurement
    uncertainty_seconds: float  # half the round trip it was measured over
    measured_at: str  # this node's wall clock then (UTC ISO)
    monotonic_at: float  # this machine's monotonic clock then
    city_minus_monotonic: float  # the city's time (epoch seconds) minus monotonic_at
    boot_id: str  # the boot whose monotonic clock that is ("" if unknown)


class ClockReading(msgspec.Struct, frozen=True):
    """What an estimate says about the clock now (``ClockCheck`` adds the verdict)."""

    offset_seconds: float  # city minus this node's wall clock, now
    uncertainty_seconds: float


class ClockCheck(msgspec.Struct, frozen=True):
    """The clock's state, as the sync status, ``motcua check`` and the guard show it."""

    alarm: str | None  # CLOCK_OFF | CLOCK_BEHIND_LOG | None
    offset_seconds: float | None  # city minus this clock (None: never measured)
    uncertainty_seconds: float | None
    measured_at: str | None  # when the estimate was taken, this node's wall clock
    threshold_seconds: float
    message: str  # which clock, by how much, what to do ("" when all is well)


def measure(
    city_time: datetime, sent_monotonic: float, now_monotonic: float, now_wall: datetime, boot: str
) -> ClockEstimate:
    """The estimate from one ack received at ``now_*`` answering what left at ``sent_*``."""
    half = max(0.0, now_monotonic - sent_monotonic) / 2
    middle_wall = now_wall - timedelta(seconds=half)
    middle_monotonic = now_monotonic - half
    return ClockEstimate(
        offset_seconds=(city_time - middle_wall).total_seconds(),
        uncertainty_seconds=half,
        measured_at=to_utc_iso(middle_wall),
        monotonic_at=middle_monotonic,
        city_minus_monotonic=city_time.timestamp() - middle_monotonic,
        boot_id=boot,
    )


def read(
    estimate: ClockEstimate, now_monotonic: float, now_wall: datetime, boot: str
) -> ClockReading:
    """The offset now: through the monotonic clock on the same boot, else as measured."""
    if boot and estimate.boot_id == boot:
        age = max(0.0, now_monotonic - estimate.monotonic_at)
        city_now = now_monotonic + estimate.city_minus_monotonic
        offset = city_now - now_wall.timestamp()
    else:
        age = abs((now_wall - from_utc_iso(estimate.measured_at)).total_seconds())
        offset = estimate.offset_seconds
    return ClockReading(offset, estimate.uncertainty_seconds + DRIFT * age)


def keep_better(
    held: ClockEstimate | None, new: ClockEstimate, now_monotonic: float, boot: str
) -> ClockEstimate:
    """The estimate to keep: the new one unless the held one is tighter and agrees with it.

    As NTP's clock filter prefers the sample with the shortest round trip: a batch that
    waited behind a slow link says less than an earlier quick answer.
    """
    if held is None or held.boot_id != boot or not boot:
        return new
    aged = held.uncertainty_seconds + DRIFT * max(0.0, now_monotonic - held.monotonic_at)
    # Both say where the city's time is on the monotonic clock: they must agree (else the
    # city's clock was stepped, and only the new one knows it).
    gap = abs(held.city_minus_monotonic - new.city_minus_monotonic)
    agree = gap <= aged + new.uncertainty_seconds
    return held if agree and aged < new.uncertainty_seconds else new


def check(
    estimate: ClockEstimate | None,
    *,
    now_monotonic: float,
    now_wall: datetime,
    boot: str,
    threshold: float,
    newest_own_event_at: str | None,
) -> ClockCheck:
    """The verdict on this clock: off (by the city's acks), behind its own log, or fine."""
    reading = None if estimate is None else read(estimate, now_monotonic, now_wall, boot)
    measured = None if estimate is None else estimate.measured_at
    if reading is not None:
        known_off = abs(reading.offset_seconds) - reading.uncertainty_seconds
        if known_off > threshold:
            way = "behind" if reading.offset_seconds > 0 else "ahead of"
            message = (
                f"this machine's clock is {_span(abs(reading.offset_seconds))} {way} the city's "
                f"(±{_span(reading.uncertainty_seconds)}, measured {measured}; the limit is "
                f"{_span(threshold)}): set the clock right (timedatectl, NTP), then try again"
            )
            return _verdict(CLOCK_OFF, reading, measured, threshold, message)
        if abs(reading.offset_seconds) + reading.uncertainty_seconds <= threshold:
            # The city vouches for this clock: a log written while it was wrong (ahead)
            # must not keep a corrected clock refused.
            return _verdict(None, reading, measured, threshold, "")
    if newest_own_event_at is not None:
        behind = (from_utc_iso(newest_own_event_at) - now_wall).total_seconds()
        if behind > threshold:
            message = (
                f"this machine's clock ({to_utc_iso(now_wall)}) is {_span(behind)} behind the "
                f"newest event this node wrote ({newest_own_event_at}): it was set back. Set "
                "it right (timedatectl, NTP); if it is right, connect to the city, whose "
                "answer confirms it"
            )
            return _verdict(CLOCK_BEHIND_LOG, reading, measured, threshold, message)
    return _verdict(None, reading, measured, threshold, "")


def _verdict(
    alarm: str | None,
    reading: ClockReading | None,
    measured: str | None,
    threshold: float,
    message: str,
) -> ClockCheck:
    return ClockCheck(
        alarm,
        None if reading is None else round(reading.offset_seconds, 3),
        None if reading is None else round(reading.uncertainty_seconds, 3),
        measured,
        threshold,
        message,
    )


def _span(seconds: float) -> str:
    """``3.2 s``, ``10.0 min``, ``5.0 h``, ``1826.2 days``: a size a person reads at once."""
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"
