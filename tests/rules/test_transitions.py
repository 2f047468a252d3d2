"""The one transition decision both sites call (``rules.transitions.decide_transition``)."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rules.clock import to_utc_iso
from rules.errors import DossierError
from rules.event_kinds import Person
from rules.lifecycle import Action, IllegalTransition, Status
from rules.projection import DossierState, apply
from rules.transitions import TransitionRequest, decide_transition
from rules.work_calendar import WorkCalendar

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tue 09:00 in Hà Nội


def state(status: Status) -> DossierState:
    return DossierState(
        id="d1",
        code="000.00.15.H42-260303-0001",
        origin="xa-1",
        procedure_code="1.000894",
        procedure_version="1",
        procedure_name="Đăng ký kết hôn",
        time_limit=5,
        time_unit="working_days",
        applicant=Person("Nguyễn Văn An"),
        proxy=None,
        channel="in_person",
        components=[],
        status=int(status),
        submitted_at="2026-03-03T02:00:00.000000Z",
        received_at="2026-03-03T02:00:00.000000Z",
        due_at="2026-03-10T10:00:00.000000Z",
        statutory_due_at="2026-03-10T10:00:00.000000Z",
    )


def calendar() -> WorkCalendar:
    return WorkCalendar.from_days([])


def test_the_event_carries_the_decided_status_note_and_clock_stop() -> None:
    req = TransitionRequest(Action.REQUEST_SUPPLEMENT, note="  Thiếu giấy khai sinh ")
    event = decide_transition(state(Status.PROCESSING), req, calendar, NOW, to_utc_iso(NOW))
    assert (event.dossier_id, event.action, event.from_status, event.to_status) == (
        "d1",
        "request_supplement",
        4,
        5,
    )
    assert event.note == "Thiếu giấy khai sinh" and event.at == to_utc_iso(NOW)
    assert event.clock_remaining is not None and event.statutory_remaining is not None


def test_a_missing_note_is_refused_before_the_calendar_is_asked() -> None:
    def no_calendar() -> WorkCalendar:
        raise AssertionError("a refused request must not need the calendar")

    with pytest.raises(DossierError) as refused:
        decide_transition(
            state(Status.PROCESSING), TransitionRequest(Action.STOP), no_calendar, NOW, "x"
        )
    assert refused.value.field == "note"


def test_an_illegal_action_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        decide_transition(
            state(Status.RESULT_RETURNED), TransitionRequest(Action.START), calendar, NOW, "x"
        )


@pytest.mark.parametrize("path", ["node/dossier_service.py", "central/city_actions.py"])
def test_both_sites_call_the_one_decision_and_build_no_transition_event_themselves(
    path: str,
) -> None:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert "decide_transition" in called
    assert "DossierTransitioned" not in called


@pytest.mark.parametrize(
    ("action", "source", "target"),
    [
        # Refused after review, not eligible on the merits (Decree 61/2018 art. 19): form 03.
        (Action.REFUSE, Status.RECEIVED, Status.REFUSED),
        (Action.REFUSE, Status.PROCESSING, Status.REFUSED),
        # Withdrawn or stopped while the fee is due.
        (Action.WITHDRAW, Status.FEE_DUE, Status.WITHDRAWAL_ASKED),
        (Action.STOP, Status.FEE_DUE, Status.STOPPED),
    ],
)
def test_the_legal_transitions_the_table_used_to_miss(
    action: Action, source: Status, target: Status
) -> None:
    req = TransitionRequest(action, note="Không đủ điều kiện: thiếu giấy phép")
    event = decide_transition(state(source), req, calendar, NOW, to_utc_iso(NOW))
    assert (event.from_status, event.to_status) == (int(source), int(target))
    assert event.note == "Không đủ điều kiện: thiếu giấy phép"


def test_refusal_after_review_needs_the_reason_the_notice_prints() -> None:
    with pytest.raises(DossierError) as refused:
        decide_transition(
            state(Status.PROCESSING), TransitionRequest(Action.REFUSE), calendar, NOW, "x"
        )
    assert refused.value.field == "note"


def test_an_online_dossier_incomplete_before_acceptance_waits_then_returns_to_reception() -> None:
    submitted = state(Status.SUBMITTED)
    submitted.received_at = submitted.due_at = submitted.statutory_due_at = None
    req = TransitionRequest(Action.REQUEST_SUPPLEMENT, note="Thiếu tờ khai")
    asked = decide_transition(submitted, req, calendar, NOW, to_utc_iso(NOW))
    assert (asked.from_status, asked.to_status) == (1, 5)
    assert asked.clock_remaining is None and asked.statutory_remaining is None  # no clock yet
    submitted = apply(submitted, asked, origin="xa-1", event_id="e1", recorded_at="x")
    assert submitted.status == Status.SUPPLEMENT_REQUESTED
    assert submitted.clock_stopped_at is None  # nothing to stop before acceptance
    done = decide_transition(
        submitted, TransitionRequest(Action.COMPLETE_SUPPLEMENT), calendar, NOW, "x"
    )
    # Never accepted, so it goes back to 1 to be received (and given its appointment).
    assert (done.from_status, done.to_status, done.due_at) == (5, 1, None)
