"""The city's home (``/``: the communes board, web/city_pages/board_page.py)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Redirect

from rules.permissions import Operation, require
from web.json_api.identity import CurrentActor


class HomePages(Controller):
    include_in_schema = False

    @get("/", name="city:home")
    async def home(self, actor: CurrentActor) -> Redirect:
        require(actor, Operation.VIEW_CITY)
        return Redirect("/board", status_code=303)
