"""The permission table: complete, and what each role may press on the dossier page."""

from __future__ import annotations

from rules.actor import Actor, Role, machine
from rules.lifecycle import Action, Status
from rules.permissions import PERMISSIONS, Operation, allowed_actions, may, seeding_machine


def _staff(*roles: Role) -> Actor:
    return Actor("x", roles=frozenset(roles))


def test_every_action_and_operation_is_in_the_table() -> None:
    assert set(PERMISSIONS) == set(Action) | set(Operation)
    assert not {a.value for a in Action} & {o.value for o in Operation}  # one grant space


def test_the_buttons_each_role_sees() -> None:
    assert allowed_actions(_staff(Role.RECEPTION), Status.PROCESSING) == [
        Action.REQUEST_SUPPLEMENT,
        Action.WITHDRAW,
    ]
    assert allowed_actions(_staff(Role.LEADER), Status.PROCESSING) == [
        Action.REFUSE,
        Action.RESOLVE,
        Action.RESCHEDULE,
    ]
    assert allowed_actions(_staff(Role.PROCESSING), Status.RECEIVED) == [
        Action.START,
        Action.REQUEST_SUPPLEMENT,
        Action.REQUEST_FEE,
    ]
    assert allowed_actions(_staff(Role.ADMIN), Status.PROCESSING) == []
    both = allowed_actions(_staff(Role.RECEPTION, Role.PROCESSING), Status.RECEIVED)
    assert Action.START in both and Action.WITHDRAW in both


def test_machines_hold_only_their_own_operations() -> None:
    scanner = machine("scanner:may-1", Operation.ATTACH_DOCUMENT)
    assert may(scanner, Operation.ATTACH_DOCUMENT)
    assert not may(scanner, Action.RESOLVE) and not may(scanner, Operation.CREATE_DOSSIER)
    assert not may(machine("nobody"), Operation.READ_DOSSIERS)
    seeder = seeding_machine("demo")
    assert may(seeder, Action.RESOLVE) and not may(seeder, Operation.MANAGE_ACCOUNTS)
