"""The node's access rule on every route: the caller holds a staff role.

The log-in door (web.auth.middleware) has already refused an anonymous request to any route
that is not public; this guard checks what the account may do, through the one permissions
table, so an account holding no staff role (a city role or nothing, written into the node's
accounts by hand: the commands and pages never make one) reaches none of the citizens' data,
pages or status. Each service still checks its own operation (reception, steps, imports...).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from rules.actor import Actor
from rules.permissions import Operation, require
from web.auth.middleware import is_own_account, is_public


def staff_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if is_public(connection.scope) or is_own_account(connection.scope):
        return
    actor = connection.scope.get("state", {}).get("actor")
    if not isinstance(actor, Actor):
        raise NotAuthorizedException("log in first")
    # Every staff role reads dossiers: it is what working at the counter means.
    require(actor, Operation.READ_DOSSIERS)
