"""Every action from every status: legal ones move the dossier, illegal ones are a 409
that writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from node.runtime import NodeRuntime
from rules.lifecycle import TRANSITIONS, Action, Status
from tests.conftest import API_USER
from tests.node.helpers import Client, act, counts, create

# How to bring a new dossier to each status: (channel, actions in order).
PATHS: dict[Status, tuple[str, list[str]]] = {
    Status.SUBMITTED: ("online", []),
    Status.RECEIVED: ("in_person", []),
    Status.REFUSED: ("online", ["refuse"]),
    Status.PROCESSING: ("in_person", ["start"]),
    Status.SUPPLEMENT_REQUESTED: ("in_person", ["start", "request_supplement"]),
    Status.FEE_DUE: ("post", ["start", "request_fee"]),
    Status.WITHDRAWAL_ASKED: ("in_person", ["start", "withdraw"]),
    Status.STOPPED: ("in_person", ["start", "withdraw", "stop"]),
    Status.RESOLVED: ("in_person", ["start", "resolve"]),
    Status.RESULT_RETURNED: ("in_person", ["start", "resolve", "return_result"]),
}


def extra_for(action: str) -> dict[str, Any]:
    extra: dict[str, Any] = {"note": "lý do ghi trên phiếu"}
    if action == "reschedule":
        extra["due_at"] = "2099-01-05T17:00:00+07:00"
    return extra


def bring_to(client: Client, status: Status) -> str:
    channel, actions = PATHS[status]
    dossier = create(client, channel=channel)
    for action in actions:
        response = act(client, dossier["id"], action, **extra_for(action))
        assert response.status_code == 201, response.text
    assert client.get(f"/api/v1/dossiers/{dossier['id']}").json()["status"] == status
    return str(dossier["id"])


@pytest.mark.parametrize("status", list(Status), ids=lambda s: f"from{int(s)}")
def test_every_action_from_every_status(
    client: Client,
    runtime: NodeRuntime,
    status: Status,
) -> None:
    for action in Action:
        dossier_id = bring_to(client, status)
        before = counts(runtime)
        response = act(client, dossier_id, action, **extra_for(action))
        sources, target = TRANSITIONS[action]
        if status in sources:
            assert response.status_code == 201, (action, response.text)
            expected = status if target is None else target
            assert response.json()["status"] == expected
            assert counts(runtime)[0] == before[0] + 1  # exactly one event
        else:
            assert response.status_code == 409, (action, response.text)
            assert response.json()["field"] == "action"
            assert f"'{action}'" in response.json()["detail"]
            assert counts(runtime) == before  # nothing written


def test_online_dossier_gets_its_appointment_when_received(client: Client) -> None:
    dossier = create(client, channel="online")
    assert dossier["status"] == 1
    assert dossier["received_at"] is None and dossier["due_at"] is None
    received = act(client, dossier["id"], "receive").json()
    assert received["status"] == 2
    assert received["received_at"] is not None and received["due_at"] is not None


def test_timeline_lists_every_event_in_order(client: Client) -> None:
    dossier = create(client)
    for action in ("start", "request_supplement", "complete_supplement", "resolve"):
        assert act(client, dossier["id"], action, note="ghi chú").status_code == 201
    full = client.get(f"/api/v1/dossiers/{dossier['id']}").json()
    kinds = [(e["kind"], e["body"].get("action")) for e in full["events"]]
    assert kinds == [
        ("dossier_received", None),
        ("dossier_transitioned", "start"),
        ("dossier_transitioned", "request_supplement"),
        ("dossier_transitioned", "complete_supplement"),
        ("dossier_transitioned", "resolve"),
    ]
    seqs = [e["seq"] for e in full["events"]]
    assert seqs == sorted(seqs)
    assert all(e["recorded_at"].endswith("+07:00") for e in full["events"])
    assert all(e["actor"] == API_USER for e in full["events"])
    assert full["timeliness"] in ("early", "on_time")
    assert full["supplement_count"] == 1


def test_the_authenticated_user_is_recorded_whatever_x_actor_says(client: Client) -> None:
    response = client.post(
        "/api/v1/dossiers",
        json={
            "procedure_code": "1.000894",
            "applicant": {"full_name": "Lê Thị B"},
            "channel": "post",
            "components": [],
        },
        headers={"X-Actor": "someone-else"},  # gone: no longer read by the node
    )
    assert response.status_code == 201
    full = client.get(f"/api/v1/dossiers/{response.json()['id']}").json()
    assert full["events"][0]["actor"] == API_USER


def test_second_supplement_request_makes_the_dossier_late(client: Client) -> None:
    dossier = create(client)
    for action in (
        "start",
        "request_supplement",
        "complete_supplement",
        "request_supplement",
        "complete_supplement",
        "resolve",
    ):
        assert act(client, dossier["id"], action, note="thiếu giấy").status_code == 201
    full = client.get(f"/api/v1/dossiers/{dossier['id']}").json()
    assert full["supplement_count"] == 2
    assert full["timeliness"] == "late"


def test_reschedule_moves_the_appointment_not_the_deadline(client: Client) -> None:
    dossier = create(client)
    response = act(
        client,
        dossier["id"],
        "reschedule",
        note="Xin lỗi: chờ xác minh",
        due_at="2099-01-05T17:00:00+07:00",
    )
    assert response.status_code == 201, response.text
    moved = response.json()
    assert moved["due_at"] == "2099-01-05T17:00:00+07:00"
    assert moved["statutory_due_at"] == dossier["statutory_due_at"]
    assert moved["reschedule_count"] == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"note": ""}, "note"),  # form 04 needs its reason
        ({"note": "x"}, "due_at"),  # no new date
        ({"note": "x", "due_at": "2020-01-01T17:00:00+07:00"}, "due_at"),  # in the past
        ({"note": "x", "due_at": "2099-01-05T17:00:00"}, "due_at"),  # no offset
        ({"note": "x", "due_at": "9999-12-31T23:59:59-07:00"}, "due_at"),  # past year 9999 in UTC
    ],
)
def test_bad_reschedule_writes_nothing(
    client: Client,
    runtime: NodeRuntime,
    extra: dict[str, str],
    field: str,
) -> None:
    dossier = create(client)
    before = counts(runtime)
    response = act(client, dossier["id"], "reschedule", **extra)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert counts(runtime) == before


def test_due_at_with_another_action_is_refused(client: Client, runtime: NodeRuntime) -> None:
    dossier = create(client)
    before = counts(runtime)
    response = act(client, dossier["id"], "start", due_at="2099-01-05T17:00:00+07:00")
    assert response.status_code == 400
    assert response.json()["field"] == "due_at"
    assert counts(runtime) == before


def test_unknown_dossier_is_404(client: Client) -> None:
    response = act(client, "01900000-0000-7000-8000-000000000000", "start")
    assert response.status_code == 404
    assert client.get("/api/v1/dossiers/nope").status_code == 404


def test_online_dossier_incomplete_before_acceptance_goes_back_to_reception(
    client: Client,
) -> None:
    dossier = create(client, channel="online")
    asked = act(client, dossier["id"], "request_supplement", note="Thiếu tờ khai").json()
    assert (asked["status"], asked["clock_stopped"], asked["due_at"]) == (5, False, None)
    back = act(client, dossier["id"], "complete_supplement").json()
    assert (back["status"], back["received_at"]) == (1, None)
    received = act(client, dossier["id"], "receive").json()
    assert received["status"] == 2 and received["due_at"] is not None
