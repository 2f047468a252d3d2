"""The citizens' satisfaction ratings at the city, as JSON: share per level overall, per
commune, per procedure and per officer who returned the result (rules/ratings.py), over
the ratings made in an optional period."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from central.runtime import CentralRuntime
from central.scope import no_such_node, node_filter
from rules.actor import Actor
from rules.ratings import RatingIndicators, rating_indicators
from web.json_api.identity import CurrentActor
from web.json_api.params import NodeFilter, parse_bound
from web.json_api.responses import errors

Central = NamedDependency[CentralRuntime]


def city_ratings(
    central: CentralRuntime, actor: Actor, node: str | None, from_: str | None, to: str | None
) -> RatingIndicators:
    """The figures the API and the city's ratings page show (``to`` inclusive, like /stats),
    of the communes ``actor`` may see (central/scope.py)."""
    start, end = parse_bound(from_, "from", end=False), parse_bound(to, "to", end=True)
    scoped = node_filter(actor, node)
    if node and central.store.get_node(node) is None:
        raise no_such_node(node)
    return rating_indicators(central.store.rated_rows(scoped, start, end))


class RatingsController(Controller):
    path = "/api/v1/indicators/ratings"
    tags = ["reports"]  # noqa: RUF012 - Litestar reads a plain list

    @get("/", name="indicators:ratings", responses=errors(400, 403, 404, 503), sync_to_thread=True)
    def ratings(
        self,
        central: Central,
        actor: CurrentActor,
        node: NodeFilter = None,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
    ) -> RatingIndicators:
        return city_ratings(central, actor, node, from_, to)
