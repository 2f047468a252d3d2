"""Where an account lives decides the roles it may hold: a commune node's staff hold the
office's roles (``STAFF_ROLES``), the city's accounts the city's (``CITY_ROLES``). A
commune-viewer sees one commune, so its account names that node; no other account does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.actor import CITY_ROLES, STAFF_ROLES, Role
from rules.errors import DossierError
from settings.node import NODE_ID_RE


@dataclass(frozen=True)
class AccountSite:
    label: str  # in messages: "a commune node", "the city"
    roles: frozenset[Role]

    def role_names(self) -> list[str]:
        return sorted(r.value for r in self.roles)


NODE_SITE = AccountSite("a commune node", STAFF_ROLES)
CITY_SITE = AccountSite("the city", CITY_ROLES)
# The roles whose account names the one node it may see (rules.actor.Actor.node_scope).
SCOPED_ROLES = frozenset({Role.COMMUNE_VIEWER})


def check_site(site: AccountSite, roles: Sequence[Role], node_id: str | None) -> str | None:
    """The node id to store (None for none), or a DossierError naming the field."""
    foreign = [r.value for r in roles if r not in site.roles]
    if foreign:
        raise DossierError(
            f"{', '.join(foreign)} is not a role of an account at {site.label}; "
            f"the roles here are {', '.join(site.role_names())}",
            "role",
        )
    node = (node_id or "").strip() or None
    scoped = [r for r in roles if r in SCOPED_ROLES]
    if scoped and len(roles) > 1:
        raise DossierError("a commune-viewer sees one commune only: it holds no other role", "role")
    if scoped and node is None:
        raise DossierError("a commune-viewer needs the node it may see (--node NODE_ID)", "node")
    if not scoped and node is not None:
        raise DossierError(
            "only a commune-viewer account names a node; leave the node empty", "node"
        )
    if node is not None and not NODE_ID_RE.match(node):
        raise DossierError(
            f"node {node!r} is not a node id (a-z, 0-9 and '-', e.g. xa-an-binh)", "node"
        )
    return node
