"""The citizens' satisfaction ratings at the city (``/indicators/ratings``): share per level
overall, per commune, per procedure and per officer who returned the result, over an
optional period, for the communes the user may see (the same figures as
``/api/v1/indicators/ratings``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from central.runtime import CentralRuntime
from rules.errors import DossierError
from rules.permissions import Operation, require
from web.city_api.ratings import city_ratings
from web.city_pages.navigation import city_page
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator

Central = NamedDependency[CentralRuntime]
FIELD_ERRORS = {
    "from": vi("Ngày bắt đầu phải viết dạng NNNN-TT-NN, ví dụ 2027-02-01."),
    "to": vi("Ngày kết thúc phải viết dạng NNNN-TT-NN, ví dụ 2027-02-28."),
    "node": vi("Không có xã/phường với mã nút này."),
}
Bound = Annotated[str, QueryParameter(max_length=40)]
Node = Annotated[str, QueryParameter(max_length=64)]


class CityRatingsPage(Controller):
    include_in_schema = False

    @get("/indicators/ratings", name="city:ratings", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        actor: CurrentActor,
        node: Node = "",
        from_: Annotated[str, QueryParameter(name="from", max_length=40)] = "",
        to: Bound = "",
    ) -> Template:
        require(actor, Operation.VIEW_CITY)
        values = {"node": node, "from": from_, "to": to}
        try:
            ratings = city_ratings(central, actor, node or None, from_ or None, to or None)
        except DossierError as exc:  # a bad date, or a commune not seen here
            field = exc.field if exc.field in FIELD_ERRORS else "node"
            translate = page_translator(request)
            return city_page(
                request,
                "city_ratings.html",
                actor=actor,
                status_code=404 if field == "node" else 400,
                ratings=None,
                values=values,
                errors={field: translate(FIELD_ERRORS[field])},
            )
        return city_page(
            request, "city_ratings.html", actor=actor, ratings=ratings, values=values, errors={}
        )
