"""The project's own indicator counts over a reception window, and beside them
Decision 766/QĐ-TTg's progress and digitisation rates (``rules.indicators_766``; how they
differ is in docs/indicators.md).

Shared by the node and the central store: it reads only dossier states.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from rules.clock import from_utc_iso
from rules.indicators_766 import National766, compute_766
from rules.lifecycle import Status
from rules.projection import DossierState
from rules.timeliness import Timeliness, is_overdue, timeliness


class ChannelShare(msgspec.Struct, frozen=True):
    in_person: float
    online: float
    post: float


class Stats(msgspec.Struct, frozen=True):
    received: int  # received (status >= 2 reached) within the window
    resolved: int  # reached "resolved" within the window
    finished: int  # processing ended within the window (resolved, returned, stopped, refused)
    on_time: int  # of finished with a deadline: at or before it (includes early)
    early: int  # strictly before the appointment's day
    late: int
    in_progress: int  # received, processing not ended (now)
    overdue_in_progress: int
    digitised: int  # finished dossiers with both a component and a result file
    channels: ChannelShare  # share of dossiers received in the window, by channel
    on_time_rate: float | None  # on_time / (on_time + late)
    # The same period by Decision 766/QĐ-TTg's own formulas (docs/indicators.md).
    national: National766 | None = None


def _within(ts: str | None, start: datetime | None, end: datetime | None) -> bool:
    if ts is None:
        return False
    moment = from_utc_iso(ts)
    return (start is None or moment >= start) and (end is None or moment < end)


def compute(
    states: Iterable[DossierState], start: datetime | None, end: datetime | None, now: datetime
) -> Stats:
    received = resolved = finished = on_time = early = late = 0
    in_progress = overdue = digitised = 0
    channels = {"in_person": 0, "online": 0, "post": 0}
    kept = list(states)  # read twice: once for these counts, once for 766's
    for s in kept:
        if _within(s.received_at, start, end):
            received += 1
            channels[s.channel] = channels.get(s.channel, 0) + 1
        if _within(s.resolved_at, start, end):
            resolved += 1
        if _within(s.finished_at, start, end):
            finished += 1
            verdict = timeliness(s)
            if verdict is Timeliness.LATE:
                late += 1
            elif verdict is not None:
                on_time += 1
                early += verdict is Timeliness.EARLY
            roles = {d.role for d in s.documents}
            digitised += "component" in roles and "result" in roles
        if s.finished_at is None and s.status != Status.SUBMITTED and s.received_at is not None:
            in_progress += 1
            overdue += is_overdue(s, now)
    total = sum(channels.values())
    share = {k: (v / total if total else 0.0) for k, v in channels.items()}
    return Stats(
        received=received,
        resolved=resolved,
        finished=finished,
        on_time=on_time,
        early=early,
        late=late,
        in_progress=in_progress,
        overdue_in_progress=overdue,
        digitised=digitised,
        channels=ChannelShare(share["in_person"], share["online"], share["post"]),
        on_time_rate=(on_time / (on_time + late)) if (on_time + late) else None,
        national=compute_766(kept, start, end, now),
    )
