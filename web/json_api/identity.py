"""Who is calling: the front door turns the request into an ``Actor`` for the services.

Today the JSON APIs take the name a client declares in ``X-Actor`` (default ``api``), with
every staff role, as before accounts existed; the staff web UI's log-in replaces this one
provider with the authenticated user, and no handler or service changes.
"""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide
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


# Handlers take ``actor: CurrentActor``; apps register ``ACTOR_DEPENDENCY``.
CurrentActor = NamedDependency[Actor]
ACTOR_DEPENDENCY = {"actor": Provide(declared_actor, sync_to_thread=False)}
