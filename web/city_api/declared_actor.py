"""Who is calling the CITY's API, until it has accounts of its own (issue 12): the name a
client declares in ``X-Actor`` (default ``api``), with every staff role.

It lives here, in the city's door, so the node's door cannot use it: the node knows its
callers from their session or API token (web.auth).
"""

from __future__ import annotations

from typing import Annotated

from litestar.di import Provide
from litestar.params import HeaderParameter

from rules.actor import STAFF_ROLES, Actor
from rules.errors import DossierError

DeclaredName = Annotated[
    str, HeaderParameter(name="X-Actor", max_length=100, description="Recorded as the author")
]


def declared_actor(x_actor: DeclaredName = "api") -> Actor:
    """The actor a client names in ``X-Actor``; a blank or unprintable name is a 400."""
    name = x_actor.strip()
    if not name or not name.isprintable():
        raise DossierError("X-Actor must be a printable user name", "X-Actor")
    return Actor(user_id=name, display_name=name, roles=STAFF_ROLES)


DECLARED_ACTOR_DEPENDENCY = {"actor": Provide(declared_actor, sync_to_thread=False)}
