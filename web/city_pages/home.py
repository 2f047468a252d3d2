"""The city's home (``/``: the communes board) and the board's place-holder page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from rules.permissions import Operation, require
from web.city_pages.navigation import city_page
from web.json_api.identity import CurrentActor


class HomePages(Controller):
    include_in_schema = False

    @get("/", name="city:home")
    async def home(self, actor: CurrentActor) -> Redirect:
        require(actor, Operation.VIEW_CITY)
        return Redirect("/board", status_code=303)

    @get("/board", name="city:board")
    async def board(self, request: Request[Any, Any, Any], actor: CurrentActor) -> Template:
        require(actor, Operation.VIEW_CITY)
        return city_page(request, "board.html", actor=actor)
