"""Who acted: an explicit identity that every front door passes into every service call.

The event a service appends records ``Actor.user_id`` as its author. Roles are the one-stop
office's (cán bộ tiếp nhận, chuyên viên, lãnh đạo, quản trị); a service can check them
because it is handed the actor itself, not a name a client declared.
"""

from __future__ import annotations

import enum

import msgspec


class Role(enum.StrEnum):
    RECEPTION = "reception"  # cán bộ tiếp nhận: receives, requests supplements, returns results
    PROCESSING = "processing"  # chuyên viên: processes
    LEADER = "leader"  # lãnh đạo: resolves, refuses, stops, reschedules (form 04)
    ADMIN = "admin"  # quản trị: accounts, catalog, calendar, settings (at the city: the
    # province's administrator)
    # The city's own roles (a city account never holds a commune's counter roles):
    CITY_VIEWER = "viewer"  # sees every commune
    COMMUNE_VIEWER = "commune-viewer"  # sees one commune only: Actor.node_scope


STAFF_ROLES = frozenset({Role.RECEPTION, Role.PROCESSING, Role.LEADER, Role.ADMIN})
CITY_ROLES = frozenset({Role.ADMIN, Role.CITY_VIEWER, Role.COMMUNE_VIEWER})


class Actor(msgspec.Struct, frozen=True):
    """A person or a machine acting on the node or at the city."""

    # Recorded as the author of the events this actor's requests append.
    user_id: str
    display_name: str = ""
    roles: frozenset[Role] = frozenset()
    # A machine's own operations (rules.permissions names them), held without a staff role:
    # a scanner folder attaches documents and nothing else.
    grants: frozenset[str] = frozenset()
    # At the city, a commune-scoped viewer's one node: every read is limited to it (None:
    # no limit). Set from the account, never from anything the client sends.
    node_scope: str | None = None

    def __post_init__(self) -> None:
        if not self.user_id.strip():
            raise ValueError("an actor needs a non-blank user_id")

    def may(self, role: Role) -> bool:
        return role in self.roles


def machine(user_id: str, *grants: str) -> Actor:
    """A process acting on its own (a scanner folder, the demo, an import): no staff role,
    only the operations named in ``grants`` (values of rules.permissions' table keys)."""
    return Actor(user_id=user_id, display_name=user_id, grants=frozenset(grants))
