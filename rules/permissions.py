"""Who may do what: ONE table from every lifecycle action and every other operation to the
staff roles that may take it. The node's services enforce it (not only the pages), and the
dossier page asks :func:`allowed_actions` which buttons to show.

Roles (rules.actor.Role): reception (cán bộ tiếp nhận) receives, asks for supplements and
returns results; processing (chuyên viên) processes; leader (lãnh đạo) decides: resolves,
refuses, stops, reschedules with form 04; admin (quản trị) runs accounts, catalog, calendar.
A user may hold several roles (in a small commune one officer receives and processes).

Machines (a scanner folder, ``motcua init``, the demo) hold no role; they carry ``grants``,
the operations of their own job (rules.actor.machine). The city's downstream events are
not requests: the node applies what the city recorded (uplink.downstream), with no check.
"""

from __future__ import annotations

import enum

from rules.actor import Actor, Role, machine
from rules.lifecycle import TRANSITIONS, Action, Status
from rules.projection import DossierState


class Operation(enum.StrEnum):
    """What is not a lifecycle action. Values never equal an Action's (one grant space)."""

    CREATE_DOSSIER = "create_dossier"  # receive a new dossier at the counter
    READ_DOSSIERS = "read_dossiers"  # lists, the dossier page, documents, indicators
    ATTACH_DOCUMENT = "attach_document"
    ASSIGN_SCAN = "assign_scan"  # file an unfiled scan into a dossier
    REJECT_SCAN = "reject_scan"
    RETRY_QUARANTINE = "retry_quarantine"
    READ_NODE_STATUS = "read_node_status"  # sync and ingest status
    IMPORT_CATALOG = "import_catalog"
    IMPORT_CALENDAR = "import_calendar"
    MANAGE_ACCOUNTS = "manage_accounts"
    READ_METRICS = "read_metrics"  # /metrics of the node or the city (counts, no citizen)
    # At the city:
    VIEW_CITY = "view_city"  # the board, communes, indicators, dossiers (a commune-viewer:
    # its own node only, see Actor.node_scope)
    CITY_TRANSITION = "city_transition"  # append a lifecycle event from the city
    PUSH_REFERENCE = "push_reference"  # push catalog and calendar to the nodes
    EXPORT_PERSONAL_DATA = "export_personal_data"  # exports with names, phones, addresses


Permission = Action | Operation

_R, _P, _L, _A = Role.RECEPTION, Role.PROCESSING, Role.LEADER, Role.ADMIN
_STAFF = frozenset({_R, _P, _L, _A})

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    # The lifecycle (rules.lifecycle.Action).
    Action.RECEIVE: frozenset({_R}),  # accept an online dossier (1 -> 2)
    Action.REFUSE: frozenset({_L}),  # form 03 is signed by the leader
    Action.START: frozenset({_P}),
    Action.REQUEST_SUPPLEMENT: frozenset({_R, _P}),  # form 02: at the counter or in review
    Action.COMPLETE_SUPPLEMENT: frozenset({_R, _P}),  # the citizen brings the papers
    Action.REQUEST_FEE: frozenset({_P}),
    Action.FEE_PAID: frozenset({_R}),
    Action.WITHDRAW: frozenset({_R}),  # the citizen asks at the counter
    Action.STOP: frozenset({_L}),
    Action.RESOLVE: frozenset({_L}),
    Action.RETURN_RESULT: frozenset({_R}),
    Action.RESCHEDULE: frozenset({_L}),  # form 04: apology and a new appointment
    # Everything else.
    Operation.CREATE_DOSSIER: frozenset({_R}),
    Operation.READ_DOSSIERS: _STAFF,
    Operation.ATTACH_DOCUMENT: frozenset({_R, _P}),
    Operation.ASSIGN_SCAN: frozenset({_R, _P}),
    Operation.REJECT_SCAN: frozenset({_R, _P}),
    Operation.RETRY_QUARANTINE: frozenset({_R, _P, _A}),
    Operation.READ_NODE_STATUS: _STAFF,
    Operation.IMPORT_CATALOG: frozenset({_A}),
    Operation.IMPORT_CALENDAR: frozenset({_A}),
    Operation.MANAGE_ACCOUNTS: frozenset({_A}),
    Operation.READ_METRICS: frozenset({_A}),
    # The city's (a city account holds only rules.actor.CITY_ROLES).
    Operation.VIEW_CITY: frozenset({_A, Role.CITY_VIEWER, Role.COMMUNE_VIEWER}),
    Operation.CITY_TRANSITION: frozenset({_A}),
    Operation.PUSH_REFERENCE: frozenset({_A}),
    Operation.EXPORT_PERSONAL_DATA: frozenset({_A}),
}


# Granted and checked only at the city (tests check the node's and the city's apart).
CITY_OPERATIONS = frozenset(
    {
        Operation.VIEW_CITY,
        Operation.CITY_TRANSITION,
        Operation.PUSH_REFERENCE,
        Operation.EXPORT_PERSONAL_DATA,
    }
)


class Forbidden(Exception):
    """The actor may not take this action; the API answers 403 with the message."""

    def __init__(self, actor: Actor, permission: Permission) -> None:
        roles = ", ".join(sorted(PERMISSIONS[permission]))
        super().__init__(
            f"{actor.user_id!r} may not {permission.value.replace('_', ' ')}: "
            f"it needs the role {roles}"
        )
        self.permission = permission


def may(actor: Actor, permission: Permission) -> bool:
    return bool(actor.roles & PERMISSIONS[permission]) or permission.value in actor.grants


def require(actor: Actor, permission: Permission) -> None:
    if not may(actor, permission):
        raise Forbidden(actor, permission)


def allowed_actions(actor: Actor, state: DossierState | Status | int) -> list[Action]:
    """The lifecycle actions this actor may take on a dossier (its state, or its status),
    in the order of the lifecycle table: the dossier page's buttons."""
    status = Status(state.status if isinstance(state, DossierState) else state)
    return [
        action
        for action, (sources, _) in TRANSITIONS.items()
        if status in sources and may(actor, action)
    ]


def seeding_machine(user_id: str) -> Actor:
    """A machine that writes sample dossiers (the demo, the benchmarks): it creates dossiers,
    attaches documents and takes them through the lifecycle, and nothing else."""
    return machine(user_id, Operation.CREATE_DOSSIER, Operation.ATTACH_DOCUMENT, *Action)
