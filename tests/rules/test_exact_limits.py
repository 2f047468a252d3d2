"""Exact to the law: the calendar-day clock stop, same-day limits, provisional appointments."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from rules.calendar_gaps import affected_by_import, calendar_warnings
from rules.clock import OFFICE_TZ, from_utc_iso, to_utc_iso
from rules.due_dates import TimeUnit, compute_due, due_after_restart, provisional_years
from rules.event_kinds import DossierReceived, Person
from rules.lifecycle import Action, Status
from rules.projection import DossierState, apply
from rules.reference_entries import ImportFileError, read_catalog
from rules.transitions import TransitionRequest, decide_transition
from rules.work_calendar import WorkCalendar

# 2026 and 2027 known (one holiday each is enough to say "imported"); 2028 is not.
CAL = WorkCalendar.from_days([(date(2026, 1, 1), "holiday"), (date(2027, 1, 1), "holiday")])


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=OFFICE_TZ)


def received(moment: datetime, limit: int, unit: str) -> DossierState:
    due = compute_due(CAL, moment, limit, TimeUnit(unit))
    event = DossierReceived(
        dossier_id="d1",
        code="X-261009-0001",
        procedure_code="1.013225",
        procedure_version="2025.1",
        procedure_name="Cấp giấy phép xây dựng",
        time_limit=limit,
        time_unit=unit,
        applicant=Person("Trần Thị Bình"),
        proxy=None,
        channel="in_person",
        components=[],
        status=int(Status.RECEIVED),
        submitted_at=to_utc_iso(moment),
        received_at=to_utc_iso(moment),
        due_at=to_utc_iso(due),
    )
    return apply(None, event, origin="xa-1", event_id="e0", recorded_at=to_utc_iso(moment))


def act(state: DossierState, action: Action, moment: datetime, note: str = "") -> DossierState:
    req = TransitionRequest(action, note=note)
    event = decide_transition(state, req, lambda: CAL, moment, to_utc_iso(moment))
    return apply(state, event, origin="xa-1", event_id=action, recorded_at=to_utc_iso(moment))


def local(ts: str | None) -> datetime:
    assert ts is not None
    return from_utc_iso(ts).astimezone(OFFICE_TZ)


def test_a_calendar_day_clock_stop_keeps_what_was_left_of_the_unshifted_limit() -> None:
    # 15 calendar days from Fri 09/10/2026: day 15 is Sat 24/10, so due Mon 26/10.
    state = received(at(2026, 10, 9), 15, "calendar_days")
    assert local(state.statutory_due_at) == at(2026, 10, 26, 17)
    state = act(state, Action.REQUEST_SUPPLEMENT, at(2026, 10, 9, 10), "Thiếu bản vẽ")
    state = act(state, Action.COMPLETE_SUPPLEMENT, at(2026, 10, 12, 9))
    # 15 days left on the unshifted limit, counted from Mon 12/10: Tue 27/10, not Thu 29/10.
    assert local(state.statutory_due_at) == at(2026, 10, 27, 17)
    assert local(state.due_at) == at(2026, 10, 27, 17)


def test_a_second_stop_measures_from_the_restarted_segment() -> None:
    state = received(at(2026, 10, 9), 15, "calendar_days")
    state = act(state, Action.REQUEST_SUPPLEMENT, at(2026, 10, 9, 10), "Thiếu bản vẽ")
    state = act(state, Action.COMPLETE_SUPPLEMENT, at(2026, 10, 12, 9))  # due Tue 27/10
    # Stopped Thu 22/10: 27 - 22 = 5 days left (the segment ends Tue 27/10 unshifted).
    state = act(state, Action.REQUEST_SUPPLEMENT, at(2026, 10, 22, 9), "Thiếu chữ ký")
    assert state.statutory_remaining == 5
    state = act(state, Action.COMPLETE_SUPPLEMENT, at(2026, 10, 26, 9))
    assert local(state.statutory_due_at) == at(2026, 11, 2, 17)  # Sat 31/10 -> Mon 2/11


def test_a_hand_set_appointment_counts_to_its_own_day() -> None:
    state = received(at(2026, 10, 9), 15, "calendar_days")
    req = TransitionRequest(Action.RESCHEDULE, note="Xin lỗi", due_at=at(2026, 10, 30, 17))
    event = decide_transition(state, req, lambda: CAL, at(2026, 10, 9, 9, 30), "x")
    state = apply(state, event, origin="xa-1", event_id="r", recorded_at="x")
    state = act(state, Action.REQUEST_SUPPLEMENT, at(2026, 10, 10, 9), "Thiếu bản vẽ")
    assert state.clock_remaining == 20  # Fri 30/10 - Sat 10/10, the date staff chose
    assert state.statutory_remaining == 14  # Sat 24/10 - Sat 10/10, unshifted


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 3, 3, 14, 0), at(2026, 3, 3, 17)),  # Tue 14:00: that day
        (at(2026, 3, 3, 15, 30), at(2026, 3, 4, 17)),  # Tue 15:30: Wed, end of day
        (at(2026, 3, 3, 15, 0), at(2026, 3, 4, 17)),  # at the cutoff: the next working day
        (at(2026, 3, 3, 6, 45), at(2026, 3, 3, 17)),  # before opening: that day
        (at(2026, 3, 6, 16, 0), at(2026, 3, 9, 17)),  # Fri after the cutoff: Mon
        (at(2026, 3, 7, 9, 0), at(2026, 3, 9, 17)),  # Saturday: Mon
    ],
)
def test_same_day_is_that_day_or_after_the_cutoff_the_next_working_day(
    moment: datetime, expected: datetime
) -> None:
    assert compute_due(CAL, moment, 0, TimeUnit.SAME_DAY) == expected


def test_the_same_day_cutoff_is_the_procedures_own() -> None:
    assert compute_due(CAL, at(2026, 3, 3, 15, 30), 0, TimeUnit.SAME_DAY, time(16, 0)) == at(
        2026, 3, 3, 17
    )
    assert compute_due(CAL, at(2026, 3, 3, 16, 0), 0, TimeUnit.SAME_DAY, time(16, 0)) == at(
        2026, 3, 4, 17
    )


def test_a_same_day_dossier_resolved_that_afternoon_is_on_time() -> None:
    # Received Tue 15:30, resolved Wed 16:00: the law says due Wed 17:00, so on time.
    state = received(at(2026, 3, 3, 15, 30), 0, "same_day")
    assert local(state.statutory_due_at) == at(2026, 3, 4, 17)
    state = act(state, Action.START, at(2026, 3, 4, 8))
    state = act(state, Action.RESOLVE, at(2026, 3, 4, 16))
    assert state.finished_at is not None
    assert from_utc_iso(state.finished_at) <= from_utc_iso(state.statutory_due_at or "")


def test_a_same_day_clock_restarts_as_a_new_same_day_limit() -> None:
    assert due_after_restart(CAL, at(2026, 3, 5, 16), 0, TimeUnit.SAME_DAY) == at(2026, 3, 6, 17)
    state = received(at(2026, 3, 3, 9), 0, "same_day")
    state = act(state, Action.REQUEST_SUPPLEMENT, at(2026, 3, 3, 10), "Thiếu bản chính")
    state = act(state, Action.COMPLETE_SUPPLEMENT, at(2026, 3, 5, 10))
    assert local(state.statutory_due_at) == at(2026, 3, 5, 17)


def test_a_count_reaching_a_year_without_its_calendar_is_provisional() -> None:
    assert provisional_years(CAL, at(2027, 12, 20), at(2028, 1, 20, 17)) == [2028]
    assert provisional_years(CAL, at(2027, 3, 1), at(2027, 3, 5, 17)) == []
    assert provisional_years(CAL, at(2025, 12, 29), at(2026, 1, 5, 17)) == [2025]


def test_receive_and_restart_record_the_missing_years() -> None:
    state = received(at(2027, 12, 20), 30, "calendar_days")  # the node records it at reception
    assert state.provisional_years == []  # DossierReceived carries what the node decided
    state = act(state, Action.REQUEST_SUPPLEMENT, at(2027, 12, 21), "Thiếu đơn")
    state = act(state, Action.COMPLETE_SUPPLEMENT, at(2027, 12, 22))
    assert state.provisional_years == [2028]


CATALOG = """
[[procedure]]
code = "2.000815"
version = {version}
name = "Chứng thực bản sao"
field = "Chứng thực"
time_limit = {limit}
time_unit = "same_day"
online_level = "partial"
components = []
{extra}
"""


def write(tmp_path: Path, version: str = '"2025.1"', limit: int = 0, extra: str = "") -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG.format(version=version, limit=limit, extra=extra), encoding="utf-8")
    return path


def test_an_integer_version_is_accepted_as_its_text(tmp_path: Path) -> None:
    (entry,) = read_catalog(write(tmp_path, version="1"))
    assert entry.version == "1"


def test_a_same_day_entry_takes_its_cutoff(tmp_path: Path) -> None:
    (entry,) = read_catalog(write(tmp_path, extra='same_day_cutoff = "16:30"'))
    assert (entry.time_unit, entry.same_day_cutoff) == ("same_day", "16:30")


@pytest.mark.parametrize(
    ("limit", "extra", "message"),
    [
        (1, "", "same_day takes time_limit = 0"),
        (0, 'same_day_cutoff = "3pm"', "same_day_cutoff must be HH:MM"),
        (0, 'same_day_cutoff = "25:00"', "same_day_cutoff must be HH:MM"),
    ],
)
def test_a_bad_same_day_entry_is_refused_with_where_and_why(
    tmp_path: Path, limit: int, extra: str, message: str
) -> None:
    with pytest.raises(ImportFileError) as refused:
        read_catalog(write(tmp_path, limit=limit, extra=extra))
    assert message in str(refused.value) and "procedure #1 ('2.000815')" in str(refused.value)


def test_an_import_lists_a_stopped_dossier_for_its_restart_and_skips_an_unchanged_one() -> None:
    with_2028 = WorkCalendar.from_days(
        [(date(2027, 1, 1), "holiday"), (date(2028, 1, 3), "holiday")]
    )
    moved = received(at(2027, 12, 27), 5, "working_days")  # Thu 30/12 .. Tue 04/01/2028
    moved.provisional_years = [2028]
    stopped = received(at(2027, 12, 27), 5, "working_days")
    stopped.provisional_years = [2028]
    stopped = act(stopped, Action.REQUEST_SUPPLEMENT, at(2027, 12, 28), "Thiếu đơn")
    same = received(at(2027, 12, 27), 1, "working_days")  # Tue 28/12: 2028 plays no part
    same.provisional_years = [2028]
    listed = affected_by_import([moved, stopped, same], with_2028, [2028])
    assert [(a.id, a.clock_stopped) for a in listed] == [("d1", False), ("d1", True)]
    assert local(listed[0].recomputed_due_at) == at(2028, 1, 4, 17)  # 3/1 is a holiday
    assert listed[1].recomputed_due_at is None
    assert calendar_warnings([moved], CAL, date(2027, 5, 1)) == [
        "the holiday calendar of 2028 was never imported: 1 open dossiers have a provisional "
        "appointment (X-261009-0001); import it with 'motcua calendar import'"
    ]
