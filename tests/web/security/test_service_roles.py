"""Every operation of rules/permissions.py is refused by the SERVICE to an actor without the
role, whatever door it came through: each role that lacks a permission is tried on the
service call that needs it, which must raise Forbidden (not another error) and write
nothing. A permission added to the table without a call here fails the completeness test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec
import pytest
from prometheus_client import CollectorRegistry

from accounts import tokens, users
from node import dossier_service, reference_data
from node.dossier_service import ReceiveRequest
from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Actor, Role
from rules.lifecycle import Action
from rules.permissions import CITY_OPERATIONS, PERMISSIONS, Forbidden, Operation, Permission
from rules.reference_entries import CalendarEntry
from rules.transitions import TransitionRequest
from scanner_ingest import unfiled
from scanner_ingest.quarantine import retry
from storage.blob_store import BlobInfo
from storage.db import scalar
from tests.node.helpers import create_body
from tests.support.accounts import make_token, make_user
from web.health.http_metrics import render_metrics

Call = Callable[[NodeRuntime, Actor, str], object]
TABLES = ("events", "dossiers", "documents", "users", "sessions", "api_tokens", "calendar_days")


def _transition(action: Action) -> Call:
    def call(rt: NodeRuntime, actor: Actor, dossier_id: str) -> object:
        due = dt.datetime(2030, 1, 2, 3, tzinfo=dt.UTC) if action is Action.RESCHEDULE else None
        req = TransitionRequest(action=action, note="ghi chú", due_at=due)
        return dossier_service.transition(rt, dossier_id, req, actor)

    return call


def _attach(rt: NodeRuntime, actor: Actor, dossier_id: str) -> object:
    blob = BlobInfo("0" * 64, 1)
    return dossier_service.attach_document(
        rt, dossier_id, blob, mime="application/pdf", role="component",
        copy_kind="original", filename="a.pdf", actor=actor,
    )  # fmt: skip


def _import_calendar(rt: NodeRuntime, actor: Actor, _: str) -> object:
    entry = CalendarEntry(dt.date(2031, 1, 1), "holiday", "Tết Dương lịch")
    with rt.db.write() as conn:
        return reference_data.import_calendar(conn, rt.node_id, actor, [entry])


def _import_catalog(rt: NodeRuntime, actor: Actor, _: str) -> object:
    with rt.db.write() as conn:
        return reference_data.import_catalog(conn, rt.node_id, actor, [])


NODE_PERMISSIONS = [p for p in PERMISSIONS if p not in CITY_OPERATIONS]

CALLS: dict[Permission, list[Call]] = {
    **{action: [_transition(action)] for action in Action},
    Operation.CREATE_DOSSIER: [
        lambda rt, a, _: dossier_service.receive(
            rt, msgspec.convert(create_body(), ReceiveRequest), a
        )
    ],
    Operation.READ_DOSSIERS: [lambda rt, a, d: dossier_service.get(rt, d, a)],
    Operation.ATTACH_DOCUMENT: [_attach],
    Operation.ASSIGN_SCAN: [
        lambda rt, a, d: unfiled.assign(rt, "p1", unfiled.AssignRequest(dossier_id=d), a)
    ],
    Operation.REJECT_SCAN: [
        lambda rt, a, _: unfiled.reject(rt, "p1", unfiled.RejectRequest(note="mờ"), a)
    ],
    Operation.RETRY_QUARANTINE: [lambda rt, a, _: retry.retry(rt, "q1", a)],
    Operation.READ_NODE_STATUS: [],  # every staff role holds it: nobody to refuse
    Operation.IMPORT_CATALOG: [_import_catalog],
    Operation.IMPORT_CALENDAR: [_import_calendar],
    Operation.MANAGE_ACCOUNTS: [
        lambda rt, a, _: users.list_users(rt.db, a),
        lambda rt, a, _: users.add(rt.db, a, "moi", ["admin"], "mot-mat-khau-dai"),
        lambda rt, a, _: users.set_password(rt.db, a, "nan-nhan", "mot-mat-khau-dai"),
        lambda rt, a, _: users.set_disabled(rt.db, a, "nan-nhan", True),
        lambda rt, a, _: users.unlock(rt.db, a, "nan-nhan"),
        lambda rt, a, _: tokens.create(rt.db, a, "nan-nhan", "x"),
        lambda rt, a, _: tokens.list_tokens(rt.db, a),
        lambda rt, a, _: tokens.revoke(rt.db, a, "t1"),
    ],
    Operation.READ_METRICS: [
        lambda rt, a, _: render_metrics(CollectorRegistry(), a, loopback=False)
    ],
}


def _snapshot(rt: NodeRuntime) -> dict[str, object]:
    conn = rt.db.read()
    found: dict[str, object] = {t: scalar(conn, f"SELECT COUNT(*) FROM {t}") for t in TABLES}
    found["victim"] = conn.execute(
        "SELECT password_hash, disabled, roles FROM users WHERE id = 'nan-nhan'"
    ).fetchall()
    return found


def test_every_permission_has_a_refused_call() -> None:
    assert set(CALLS) == set(NODE_PERMISSIONS)
    for permission, calls in CALLS.items():
        assert calls or PERMISSIONS[permission] >= STAFF_ROLES, permission


@pytest.mark.parametrize("permission", NODE_PERMISSIONS, ids=str)
def test_the_service_refuses_every_role_without_the_permission(
    runtime: NodeRuntime, permission: Permission
) -> None:
    make_user(runtime.db, "nan-nhan", Role.RECEPTION)
    make_token(runtime.db, "nan-nhan")
    reception = Actor("tiepnhan", roles=frozenset({Role.RECEPTION}))
    body = msgspec.convert(create_body(), ReceiveRequest)
    dossier_id = dossier_service.receive(runtime, body, reception).id
    lacking = [role for role in STAFF_ROLES if role not in PERMISSIONS[permission]]
    for role in lacking:
        actor = Actor(f"khong-{role}", roles=frozenset({role}))
        for call in CALLS[permission]:
            before = _snapshot(runtime)
            with pytest.raises(Forbidden) as refused:
                call(runtime, actor, dossier_id)
            assert refused.value.permission is permission
            assert _snapshot(runtime) == before, (permission, role)
