"""Which communes an actor at the city may see: ONE rule for the JSON API and the pages.

A commune-viewer's account names one node (``Actor.node_scope``); every read is limited to
it. Another node answers exactly as a node that does not exist (404, "no node ..."), so the
answer never confirms that a commune or a dossier is there.
"""

from __future__ import annotations

from rules.actor import Actor
from rules.errors import NotFound


def no_such_node(node_id: str) -> NotFound:
    return NotFound(f"no node {node_id!r} has replicated here")


def node_filter(actor: Actor, requested: str | None) -> str | None:
    """The node filter to apply for ``actor`` asking for ``requested`` (None: every node).

    An unscoped actor gets what it asked for; a commune-viewer gets its node, and asking
    for any other is NotFound."""
    if actor.node_scope is None:
        return requested or None
    if requested and requested != actor.node_scope:
        raise no_such_node(requested)
    return actor.node_scope


def sees(actor: Actor, node_id: str) -> bool:
    """Whether ``actor`` may see what belongs to ``node_id``."""
    return actor.node_scope is None or actor.node_scope == node_id
