"""The citizens' satisfaction ratings at the city, as JSON: share per level overall, per
commune, per procedure and per officer who returned the result (rules/ratings.py), over
the ratings made in an optional period."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from central.runtime import CentralRuntime
from rules.errors import NotFound
from rules.ratings import RatingIndicators, rating_indicators
from web.json_api.params import NodeFilter, parse_bound
from web.json_api.responses import errors

Central = NamedDependency[CentralRuntime]


def city_ratings(
    central: CentralRuntime, node: str | None, from_: str | None, to: str | None
) -> RatingIndicators:
    """The figures the API and the city's ratings page show (``to`` inclusive, like /stats)."""
    start, end = parse_bound(from_, "from", end=False), parse_bound(to, "to", end=True)
    if node and central.store.get_node(node) is None:
        raise NotFound(f"no node {node!r} has replicated here")
    return rating_indicators(central.store.rated_rows(node or None, start, end))


class RatingsController(Controller):
    path = "/api/v1/indicators/ratings"
    tags = ["reports"]  # noqa: RUF012 - Litestar reads a plain list

    @get("/", name="indicators:ratings", responses=errors(400, 404, 503), sync_to_thread=True)
    def ratings(
        self,
        central: Central,
        node: NodeFilter = None,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
    ) -> RatingIndicators:
        return city_ratings(central, node, from_, to)
