"""The city's time, learnt from every ``EventAck`` that answers something this link sent.

An ack answers a batch (the first one it acknowledges that was sent once, Karn's rule as
for the round-trip timer) or a Birth. From when that left and when the ack came, the
estimate is computed as NTP does (``rules/clock_offset.py``); the tightest agreeing one is
kept and written to ``sync_link`` (``node/clock_estimate.py``): when it first comes, at
most every ``SAVE_EVERY_SECONDS`` after, and at once when the alarm rises or clears, so
the API process, ``motcua check`` and a restart with the link down see it.
"""

from __future__ import annotations

import logging
import time

from node import clock_estimate
from node.runtime import NodeRuntime
from rules.clock import parse_utc_text, utc_now
from rules.clock_offset import ClockEstimate, keep_better, measure

SAVE_EVERY_SECONDS = 30.0
log = logging.getLogger("motcua.sync.clock")


class ClockWatch:
    def __init__(self, rt: NodeRuntime) -> None:
        self._rt = rt
        self._held: ClockEstimate | None = clock_estimate.load(rt.db.read())
        self._saved_at = float("-inf")
        self._alarm: str | None = clock_estimate.clock_check(rt).alarm
        self._birth: tuple[float, int] | None = None  # (sent at, bd_seq) of the last Birth

    def birth_sent(self, at: float, bd_seq: int) -> None:
        """A Birth ``bd_seq`` left at ``at`` (monotonic): the city answers it with an ack
        that names it (``EventAck.birth_bd_seq``)."""
        self._birth = (at, bd_seq) if bd_seq > 0 else None

    def on_ack(self, city_time: str, batch_sent_at: float | None, birth_bd_seq: int = 0) -> None:
        """An ack stamped ``city_time`` came, answering the batch sent at ``batch_sent_at``
        (None: no batch sent once) or the Birth ``birth_bd_seq`` (0: none). Only an ack
        that names the Birth is timed against it: the broker hands a reconnecting node
        the acks it queued while the node was away, stamped before the new Birth left."""
        sent_at = batch_sent_at
        if sent_at is None and self._birth is not None and birth_bd_seq == self._birth[1]:
            sent_at = self._birth[0]
            self._birth = None
        if not city_time or sent_at is None:
            return  # an older city, or an ack that answers nothing timed here
        now = time.monotonic()
        boot = clock_estimate.boot_id()
        sample = measure(parse_utc_text(city_time), sent_at, now, utc_now(), boot)
        kept = keep_better(self._held, sample, now, boot)
        first = self._held is None
        self._held = kept
        if kept is not sample:
            return
        verdict = clock_estimate.clock_check(self._rt, estimate=kept)
        if not first and now - self._saved_at < SAVE_EVERY_SECONDS and verdict.alarm == self._alarm:
            return
        with self._rt.db.write() as conn:
            clock_estimate.save(conn, kept)
        self._saved_at = now
        if verdict.alarm != self._alarm:
            if verdict.alarm:
                log.error("event=clock_alarm alarm=%s detail=%s", verdict.alarm, verdict.message)
            else:
                log.info("event=clock_alarm_cleared offset_s=%.3f", kept.offset_seconds)
            self._alarm = verdict.alarm
