"""The city acting on a commune's dossier: validated, appended, refolded, sent down.

A transition the node and the city make concurrently is never lost: both events are kept
and the conflict is flagged on the dossier and in the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from litestar import Litestar
from litestar.testing import TestClient

from central import city_actions
from central.runtime import CentralRuntime
from central.store import CENTRAL_ORIGIN
from rules.actor import machine
from rules.clock import from_utc_iso, to_utc_iso
from rules.due_dates import TimeUnit, compute_due
from rules.event_kinds import decode_body
from rules.reference_entries import CalendarEntry, ProcedureEntry
from rules.work_calendar import DEFAULT_PERIODS, WorkCalendar
from sync import wire
from sync.topics import Lane
from tests.central.fake_node import FakeNode

NODE = "xa-an-binh"
Client = TestClient[Litestar]


def replicate(runtime: CentralRuntime, node: FakeNode, first: int = 1) -> None:
    out = runtime.handler.handle(*node.batch(first, len(node.log)))
    assert isinstance(out[0].message, wire.EventAck), out


def act(api: Client, dossier_id: str, action: str, **extra: object) -> object:
    """As ``api``'s account: the administrator so-tu-phap (tests/support/city_fixtures)."""
    return api.post(f"/api/v1/dossiers/{dossier_id}/transitions", json={"action": action, **extra})


def test_a_city_transition_is_a_central_event_that_goes_down_to_the_node(
    api: Client, runtime: CentralRuntime
) -> None:
    node = FakeNode(NODE)
    dossier = node.receive()
    replicate(runtime, node)
    response = act(api, dossier, "start")
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["status"], body["node_id"], body["conflicts"]) == (4, NODE, [])
    (record,) = runtime.store.down_events(NODE, 0, 10)
    assert (record.origin, record.seq, record.stream) == (CENTRAL_ORIGIN, 1, dossier)
    assert record.actor == "central:so-tu-phap" and record.kind == "dossier_transitioned"
    assert runtime.pending_down.get_nowait() == NODE
    events = api.get(f"/api/v1/dossiers/{dossier}").json()["events"]
    assert [(e["origin"], e["seq"]) for e in events] == [(NODE, 1), (CENTRAL_ORIGIN, 1)]


def test_an_illegal_or_incomplete_city_action_writes_nothing(
    api: Client, runtime: CentralRuntime
) -> None:
    node = FakeNode(NODE)
    dossier = node.receive()
    replicate(runtime, node)
    illegal = act(api, dossier, "resolve")
    assert illegal.status_code == 409  # type: ignore[attr-defined]
    assert "not allowed from status 2" in illegal.json()["detail"]  # type: ignore[attr-defined]
    no_note = act(api, dossier, "request_supplement")
    assert no_note.status_code == 400 and no_note.json()["field"] == "note"  # type: ignore[attr-defined]
    assert act(api, "no-such-dossier", "start").status_code == 404  # type: ignore[attr-defined]
    bad_due = act(api, dossier, "reschedule", note="x", due_at="2020-01-01T00:00:00+07:00")
    assert bad_due.status_code == 400  # type: ignore[attr-defined]
    assert runtime.store.down_events(NODE, 0, 10) == []
    row = runtime.store.get_node(NODE)
    assert row is not None and row.central_seq == 0


def test_concurrent_node_and_city_transitions_are_both_kept_and_flagged(
    api: Client, runtime: CentralRuntime
) -> None:
    node = FakeNode(NODE)
    dossier = node.receive()
    replicate(runtime, node)
    # The city starts processing; meanwhile, offline, the commune asked for a supplement.
    assert act(api, dossier, "start").status_code == 201  # type: ignore[attr-defined]
    (city_event,) = runtime.store.down_events(NODE, 0, 10)
    node.clock = from_utc_iso(city_event.recorded_at) + timedelta(minutes=1)
    node.transition(dossier, "request_supplement", 2, 5)
    replicate(runtime, node, first=2)
    view = runtime.store.get_dossier(dossier)
    assert view is not None
    assert [(e.origin, e.kind) for e in view.events] == [
        (NODE, "dossier_received"),
        (CENTRAL_ORIGIN, "dossier_transitioned"),
        (NODE, "dossier_transitioned"),
    ]
    (conflict,) = view.state.conflicts
    assert (conflict.action, conflict.expected_status, conflict.found_status) == (
        "request_supplement",
        2,
        4,
    )
    assert view.state.status == 5  # the later event still applies
    listed = api.get("/api/v1/dossiers", params={"conflicted": "true"}).json()
    assert [d["id"] for d in listed["items"]] == [dossier]
    assert listed["items"][0]["conflicts"][0]["event_id"] == view.events[2].id
    nodes = api.get("/api/v1/nodes").json()
    assert nodes[0]["conflicted_dossiers"] == 1


def test_a_city_event_sorts_after_the_dossier_even_when_the_node_clock_runs_ahead(
    api: Client, runtime: CentralRuntime
) -> None:
    node = FakeNode(NODE, start=datetime.now(UTC) + timedelta(hours=2))
    dossier = node.receive()
    replicate(runtime, node)
    assert act(api, dossier, "start").status_code == 201  # type: ignore[attr-defined]
    (record,) = runtime.store.down_events(NODE, 0, 10)
    assert from_utc_iso(record.recorded_at) > from_utc_iso(node.log[0].recorded_at)
    view = runtime.store.get_dossier(dossier)
    assert view is not None and view.state.status == 4 and view.state.conflicts == []


def test_receiving_at_the_city_uses_the_nodes_calendar(
    api: Client, runtime: CentralRuntime
) -> None:
    node = FakeNode(NODE, start=datetime.now(UTC) - timedelta(hours=1))
    today = datetime.now(UTC).date()
    holidays = [today + timedelta(days=d) for d in range(1, 4)]
    for day in holidays:
        node.holiday(day.isoformat())
    dossier = node.receive(channel="online")
    replicate(runtime, node)
    # An online dossier (status 1) still has to be received: 1 -> 2 with a due date.
    response = act(api, dossier, "receive")
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    (record,) = runtime.store.down_events(NODE, 0, 10)
    body = decode_body(record.body)
    cal = WorkCalendar(frozenset(holidays), frozenset(), DEFAULT_PERIODS)
    at = from_utc_iso(record.recorded_at)
    expected = compute_due(cal, at, 5, TimeUnit.WORKING_DAYS)
    assert getattr(body, "due_at") == to_utc_iso(expected)  # noqa: B009
    assert getattr(body, "received_at") == record.recorded_at  # noqa: B009


def test_catalog_and_calendar_pushes_append_only_what_changed(runtime: CentralRuntime) -> None:
    node = FakeNode(NODE)
    node.holiday("2027-09-02", "Quốc khánh")
    replicate(runtime, node)
    procedure = ProcedureEntry("1.1", "2027", "Thủ tục", "Hộ tịch", 3, "working_days", "none", [])
    days = [
        CalendarEntry(date(2027, 9, 2), "holiday", "Quốc khánh"),  # the node has it already
        CalendarEntry(date(2027, 9, 3), "holiday", "Quốc khánh (nghỉ bù)"),
    ]
    now = datetime.now(UTC)
    store = runtime.store
    assert city_actions.push_reference(
        store, [NODE, "xa-b"], [procedure], days, machine("u"), now
    ) == {
        NODE: 2,
        "xa-b": 3,
    }
    assert city_actions.push_reference(store, [NODE], [procedure], days, machine("u"), now) == {
        NODE: 0
    }
    kinds = sorted((r.origin, r.seq, r.kind) for r in store.reference_events(NODE))
    assert kinds == [
        (CENTRAL_ORIGIN, 1, "procedure_upserted"),
        (CENTRAL_ORIGIN, 2, "calendar_day_set"),
        (NODE, 1, "calendar_day_set"),
    ]


def test_city_events_reach_the_node_through_the_handler_after_an_append(
    api: Client, runtime: CentralRuntime
) -> None:
    node = FakeNode(NODE)
    dossier = node.receive()
    runtime.handler.handle(*node.birth())
    replicate(runtime, node)
    act(api, dossier, "start")
    out = runtime.handler.push_down(runtime.pending_down.get_nowait())
    (batch,) = [o.message for o in out if o.topic.endswith(f"/down/{Lane.EVENTS}")]
    assert isinstance(batch, wire.DownBatch) and batch.first_seq == 1
    assert batch.events == runtime.store.down_events(NODE, 0, 10)


def test_a_calendar_push_names_the_provisional_dossiers_it_moves(runtime: CentralRuntime) -> None:
    node = FakeNode(NODE)
    provisional = node.receive(provisional_years=[node.clock.year])
    node.receive()  # counted with its year's calendar: not listed
    finished = node.receive(provisional_years=[node.clock.year])
    node.transition(finished, "refuse", 2, 3)  # processing ended: nothing to reissue
    replicate(runtime, node)
    affected = city_actions.calendar_affected(
        runtime.store, NODE, [node.clock.year], DEFAULT_PERIODS
    )
    assert [a.id for a in affected] == [provisional]
    assert affected[0].recomputed_due_at != affected[0].statutory_due_at
    assert city_actions.calendar_affected(runtime.store, NODE, [1999], DEFAULT_PERIODS) == []
