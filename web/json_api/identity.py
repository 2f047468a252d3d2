"""Who is calling: the front door turns the request into an ``Actor`` for the services.

On the node the actor is the authenticated user (web.auth's middleware puts it in
``scope["state"]["actor"]`` from the session cookie or the API token), with the user's
roles. Handlers and pages take ``actor: CurrentActor``; apps register ``ACTOR_DEPENDENCY``.
"""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException

from rules.actor import Actor


def authenticated_actor(request: Request) -> Actor:  # type: ignore[type-arg]
    """The caller the authentication middleware found; 401 if there is none (a handler that
    needs an actor on a public route is a defect, refused rather than run anonymously)."""
    actor = request.scope.get("state", {}).get("actor")
    if not isinstance(actor, Actor):
        raise NotAuthorizedException("log in first")
    return actor


# Litestar resolves dependencies that do not depend on one another side by side, in a task
# group: two tasks and a group per request (about 75 µs of CPU, 5 % of a dossier create in
# bench/bench_create.py). A site whose handlers take both its own dependency (the node's
# ``runtime``) and the actor registers a provider that takes the first, so the two are
# resolved one after the other, each a plain await (``web.node_api.app.provide_actor``).
CurrentActor = NamedDependency[Actor]
ACTOR_DEPENDENCY = {"actor": Provide(authenticated_actor, sync_to_thread=False)}
