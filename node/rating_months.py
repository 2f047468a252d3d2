"""The node's rating indicators over a range of office months, for the indicators page."""

from __future__ import annotations

from node.indicator_months import month_start, next_month
from node.rating_facts import rated_rows
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso
from rules.ratings import RatingIndicators, rating_indicators


def months_indicators(
    rt: NodeRuntime, first: tuple[int, int], last: tuple[int, int]
) -> RatingIndicators:
    """The ratings made in the office months ``first`` to ``last`` (as the indicators page
    counts its months), by level, procedure and officer."""
    start = to_utc_iso(month_start(*first))
    end = to_utc_iso(month_start(*next_month(*last)))
    return rating_indicators(rated_rows(rt.db.read(), rt.node_id, start, end))
