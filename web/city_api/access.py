"""The city's access rule on every route: the caller may view the city (any city role).

The log-in door (web.auth.middleware) has already refused an anonymous request to any
route that is not public; this guard checks what the account may do, through the one
permissions table, so an account holding no city role (a commune's counter role written
into the city's accounts by hand) reaches nothing. Writes check their own operation too.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from rules.actor import Actor
from rules.permissions import Operation, require
from web.auth.middleware import is_own_account, is_public


def view_city_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if is_public(connection.scope) or is_own_account(connection.scope):
        return
    actor = connection.scope.get("state", {}).get("actor")
    if not isinstance(actor, Actor):
        raise NotAuthorizedException("log in first")
    require(actor, Operation.VIEW_CITY)
