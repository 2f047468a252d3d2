"""Decision 766/QĐ-TTg's own formulas for processing progress and digitisation, computed
beside the project's counts (``rules.indicators``). See docs/indicators.md for the source
and for how each differs from the project's counts.

Pure: reads dossier states only, so the node and the city compute the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from rules.clock import from_utc_iso
from rules.lifecycle import Status
from rules.projection import DossierState


class National766(msgspec.Struct, frozen=True):
    # Tiến độ giải quyết: tỷ lệ hồ sơ xử lý trước hạn, đúng hạn.
    ended: int  # received; processing ended (766's end) within the window
    ended_on_time: int  # of those: at or before the legal deadline, at most one supplement
    in_progress: int  # received, processing not ended (766's end) at ``now``
    in_progress_within_time: int  # of those: ``now`` at or before the legal deadline
    progress_rate: float | None  # (ended_on_time + in_progress_within_time) / (ended + in_progress)
    # Số hóa hồ sơ: over dossiers received within the window.
    received: int
    components_digitised: int  # received with at least one component file
    digitisation_rate: float | None  # components_digitised / received
    resolved: int  # received within the window and resolved (9 or 10)
    results_digitised: int  # of those: with a result file
    result_digitisation_rate: float | None  # results_digitised / resolved


def _within(ts: str | None, start: datetime | None, end: datetime | None) -> bool:
    if ts is None:
        return False
    moment = from_utc_iso(ts)
    return (start is None or moment >= start) and (end is None or moment < end)


def national_end(state: DossierState) -> str | None:
    """When processing ended as 766 counts it; a dossier waiting at 5 ends at the request."""
    if state.national_end_at is not None:
        return state.national_end_at
    if state.status == Status.SUPPLEMENT_REQUESTED and state.received_at is not None:
        return state.clock_stopped_at
    return None


def _on_time(state: DossierState, end: str) -> bool:
    if state.statutory_due_at is None:
        return False
    return from_utc_iso(end) <= from_utc_iso(state.statutory_due_at) and (
        state.supplement_count <= 1
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def compute_766(
    states: Iterable[DossierState], start: datetime | None, end: datetime | None, now: datetime
) -> National766:
    ended = ended_on_time = in_progress = within_time = 0
    received = components = resolved = results = 0
    for s in states:
        if s.received_at is None:
            continue  # never accepted: outside both indicators
        finished = national_end(s)
        if finished is None:
            in_progress += 1
            due = s.statutory_due_at
            within_time += due is not None and now <= from_utc_iso(due) and s.supplement_count <= 1
        elif _within(finished, start, end):
            ended += 1
            ended_on_time += _on_time(s, finished)
        if _within(s.received_at, start, end):
            received += 1
            roles = {d.role for d in s.documents}
            components += "component" in roles
            if s.resolved_at is not None:
                resolved += 1
                results += "result" in roles
    return National766(
        ended=ended,
        ended_on_time=ended_on_time,
        in_progress=in_progress,
        in_progress_within_time=within_time,
        progress_rate=_rate(ended_on_time + within_time, ended + in_progress),
        received=received,
        components_digitised=components,
        digitisation_rate=_rate(components, received),
        resolved=resolved,
        results_digitised=results,
        result_digitisation_rate=_rate(results, resolved),
    )
