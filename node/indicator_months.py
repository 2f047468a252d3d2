"""The node's indicators month by month (office calendar months), for the indicators page
and its CSV export: the figures ``rules.indicators.compute`` gives for each month (the
``/api/v1/stats`` endpoint runs it), counted by one grouped query over the narrow
``dossier_indicator_facts`` rows (node.indicator_facts) instead of decoding every dossier's
state for every month (seconds with 50,000 dossiers). tests/node/test_indicator_months.py
checks that both give the same figures on the same dossiers.
"""

from __future__ import annotations

import datetime as dt
import re

import apsw
import msgspec

from node.indicator_facts import micros
from node.runtime import NodeRuntime
from rules.clock import OFFICE_TZ, to_utc_iso, utc_now
from rules.errors import DossierError

#: A page or an export covers at most this many months (three years).
MAX_MONTHS = 36
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthFigures(msgspec.Struct, frozen=True):
    month: str  # YYYY-MM, office time
    received: int
    resolved: int
    finished: int
    on_time: int
    early: int
    late: int
    digitised: int
    on_time_rate: float | None
    # Decision 766/QĐ-TTg (docs/indicators.md): progress and digitisation rates.
    progress_rate: float | None
    digitisation_rate: float | None


class MonthlyIndicators(msgspec.Struct, frozen=True):
    months: list[MonthFigures]
    in_progress: int  # at ``computed_at``, whatever the months
    overdue_in_progress: int
    computed_at: str


def parse_month(text: str, field: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); DossierError naming ``field`` otherwise."""
    found = _MONTH.match(text.strip())
    if (
        found is None
        or not 1 <= int(found.group(2)) <= 12
        or not 1900 <= int(found.group(1)) <= 2999
    ):
        raise DossierError(f"{field} must be a month written YYYY-MM, e.g. 2025-03", field)
    return int(found.group(1)), int(found.group(2))


def month_start(year: int, month: int) -> dt.datetime:
    return dt.datetime(year, month, 1, tzinfo=OFFICE_TZ)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_span(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every month from ``first`` to ``last`` inclusive; DossierError when reversed or over
    ``MAX_MONTHS``."""
    if last < first:
        raise DossierError("the last month comes before the first", "to")
    months = [first]
    while months[-1] != last:
        months.append(next_month(*months[-1]))
        if len(months) > MAX_MONTHS:
            raise DossierError(f"a range covers at most {MAX_MONTHS} months", "to")
    return months


def default_range(now: dt.datetime, count: int = 6) -> tuple[tuple[int, int], tuple[int, int]]:
    """The ``count`` office months ending with the current one."""
    local = now.astimezone(OFFICE_TZ)
    last = (local.year, local.month)
    index = local.year * 12 + local.month - 1 - (count - 1)
    return (index // 12, index % 12 + 1), last


# Every month's counts in one pass per instant column, whatever the number of months: each
# fact falls in the month whose [start, end) holds it. The month is found by a CASE ladder
# over the office months' exact starts in microseconds (Asia/Ho_Chi_Minh changed its offset
# in the past, so the starts come from the zone, not from a fixed +07:00), and each lane
# sums what is counted at that instant. Asking 12 months used to scan the table 12 times.
_LANES = (
    # (lane, instant column, the counts at that instant)
    ("received", "received_us", "COUNT(*), COALESCE(SUM(has_component), 0), 0, 0, 0"),
    ("resolved", "resolved_us", "COUNT(*), 0, 0, 0, 0"),
    (
        "finished",
        "finished_us",
        "COUNT(*), COALESCE(SUM(timeliness IN ('early', 'on_time')), 0),"
        " COALESCE(SUM(timeliness = 'early'), 0), COALESCE(SUM(timeliness = 'late'), 0),"
        " COALESCE(SUM(digitised), 0)",
    ),
    ("national", "national_end_us", "COUNT(*), COALESCE(SUM(ended_on_time), 0), 0, 0, 0"),
)


def _months_sql(count: int) -> str:
    """The grouped query for ``count`` months: parameters are the ``count + 1`` month starts
    (the last one is the end of the last month), the same for every lane."""
    ladder = " ".join(f"WHEN {{col}} < ?{n + 2} THEN {n}" for n in range(count))
    lanes = [
        f"SELECT '{lane}', CASE {ladder.format(col=col)} END AS month_index, {sums}"
        f" FROM dossier_indicator_facts WHERE {col} >= ?1 AND {col} < ?{count + 1}"
        " GROUP BY month_index"
        for lane, col, sums in _LANES
    ]
    return " UNION ALL ".join(lanes)


# What depends only on ``now`` (?1): in progress, overdue, and 766's in progress.
_NOW_SQL = """
SELECT
    COALESCE(SUM(in_progress), 0),
    COALESCE(SUM(in_progress AND overdue_after_us < ?1), 0),
    COALESCE(SUM(received_us IS NOT NULL AND national_end_us IS NULL), 0),
    COALESCE(SUM(received_us IS NOT NULL AND national_end_us IS NULL
                 AND national_due_us >= ?1), 0)
FROM dossier_indicator_facts
"""


def _counts(conn: apsw.Connection, sql: str, *args: int) -> list[int]:
    """An aggregate query's one row (every SUM is COALESCEd: never NULL)."""
    return [int(value) for value in conn.execute(sql, args).fetchone() or ()]


_NONE = [0, 0, 0, 0, 0]  # a lane with nothing in a month


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def monthly(
    rt: NodeRuntime,
    first: tuple[int, int],
    last: tuple[int, int],
    now: dt.datetime | None = None,
) -> MonthlyIndicators:
    now = now or utc_now()
    months = month_span(first, last)
    starts = [micros(month_start(*m)) for m in [*months, next_month(*months[-1])]]
    counts: dict[tuple[str, int], list[int]] = {}
    conn = rt.db.read()
    with conn:  # one snapshot for every month and the counts at ``now``
        in_progress, overdue, in_progress_766, within_766 = _counts(conn, _NOW_SQL, micros(now))
        for lane, index, *sums in conn.execute(_months_sql(len(months)), starts):
            counts[str(lane), int(index)] = [int(value) for value in sums]
    rows = []
    for index, (year, month) in enumerate(months):
        received, components, *_ = counts.get(("received", index), _NONE)
        resolved = counts.get(("resolved", index), _NONE)[0]
        finished, on_time, early, late, digitised = counts.get(("finished", index), _NONE)
        ended, ended_on_time, *_ = counts.get(("national", index), _NONE)
        rows.append(
            MonthFigures(
                month=f"{year:04d}-{month:02d}",
                received=received,
                resolved=resolved,
                finished=finished,
                on_time=on_time,
                early=early,
                late=late,
                digitised=digitised,
                on_time_rate=_rate(on_time, on_time + late),
                progress_rate=_rate(ended_on_time + within_766, ended + in_progress_766),
                digitisation_rate=_rate(components, received),
            )
        )
    return MonthlyIndicators(rows, in_progress, overdue, to_utc_iso(now))
