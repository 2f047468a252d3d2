"""What the city's communes board and indicator pages read: rows and figures, no SQL.

``sql_board.py`` fills these from the store; ``web/city_pages`` shows them. Rates are
computed here, from the counts, the way ``rules/indicators.py`` and
``rules/indicators_766.py`` compute them from dossier states.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec

from central.node_row import NodeRow
from rules.clock import OFFICE_TZ, from_utc_iso, to_utc_iso

#: The board's counts for one day, in the order the board shows them.
TODAY_FIGURES = (
    "received",
    "in_progress",
    "on_time",
    "overdue",
    "supplement",
    "to_return",
    "returned",
)
#: The indicator pages' figures: the project's counts, then Decision 766's.
MONTH_FIGURES = (
    "received",
    "resolved",
    "finished",
    "on_time",
    "early",
    "late",
    "digitised",
    "returned",
    "n_ended",
    "n_ended_on_time",
    "n_components",
    "n_resolved",
    "n_results",
)
#: Figures about the dossiers open now (not tied to a window).
NOW_FIGURES = (
    "in_progress",
    "overdue",
    "supplement",
    "to_return",
    "n_in_progress",
    "n_within_time",
)


class Counts(msgspec.Struct, frozen=True):
    """Figure name -> count (every name of ``central.figures.FIGURES`` a query asked for)."""

    values: dict[str, int]

    def get(self, name: str) -> int:
        return self.values.get(name, 0)

    def rate(self, part: str, whole: str) -> float | None:
        return _rate(self.get(part), self.get(whole))

    @property
    def on_time_rate(self) -> float | None:
        """rules.indicators: on_time / (on_time + late)."""
        return _rate(self.get("on_time"), self.get("on_time") + self.get("late"))

    @property
    def progress_rate(self) -> float | None:
        """Decision 766: (ended on time + in progress within time) / (ended + in progress)."""
        return _rate(
            self.get("n_ended_on_time") + self.get("n_within_time"),
            self.get("n_ended") + self.get("n_in_progress"),
        )

    def plus(self, other: Counts) -> Counts:
        names = self.values.keys() | other.values.keys()
        return Counts({n: self.get(n) + other.get(n) for n in names})


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


EMPTY = Counts({})


class BoardRow(msgspec.Struct, frozen=True):
    node: NodeRow
    today: Counts

    @property
    def pending_events(self) -> int:
        return self.node.pending_estimate

    def oldest_pending_seconds(self, now: datetime) -> float | None:
        """Age of the node's oldest unsent event as it last reported, if it has any."""
        if self.node.oldest_pending_at is None or self.pending_events == 0:
            return None
        return max(0.0, (now - from_utc_iso(self.node.oldest_pending_at)).total_seconds())

    @property
    def trouble(self) -> tuple[int, int, int, int]:
        """Sort key, worst first: diverged, offline, most behind, most overdue."""
        return (
            0 if self.node.diverged_at else 1,
            1 if self.node.online else 0,
            -(self.pending_events + self.node.pending_files),
            -self.today.get("overdue"),
        )


class Board(msgspec.Struct, frozen=True):
    rows: list[BoardRow]  # worst first
    totals: Counts  # today's counts over every row
    day_start: str  # the office's day, as UTC bounds
    day_end: str
    now: str

    @property
    def online(self) -> int:
        return sum(r.node.online for r in self.rows)

    @property
    def diverged(self) -> int:
        return sum(r.node.diverged_at is not None for r in self.rows)

    @property
    def pending_events(self) -> int:
        return sum(r.pending_events for r in self.rows)

    @property
    def pending_files(self) -> int:
        return sum(r.node.pending_files for r in self.rows)


class FigureDossier(msgspec.Struct, frozen=True):
    """One dossier behind a figure: enough to list it and link to its page."""

    node_id: str
    id: str
    code: str
    status: int
    received_at: str | None
    due_at: str | None
    finished_at: str | None


def office_day(now: datetime) -> tuple[date, str, str]:
    """Today in the office's time zone, and its bounds in UTC (the board's "today")."""
    today = now.astimezone(OFFICE_TZ).date()
    start = datetime(today.year, today.month, today.day, tzinfo=OFFICE_TZ)
    return today, to_utc_iso(start), to_utc_iso(start + timedelta(days=1))
