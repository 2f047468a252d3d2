"""The indicators over a fixture of dossiers in every state, each figure against a hand count.

Window: March 2026; ``now``: Fri 20/03/2026 12:00. Every dossier is received at 09:00 and
its legal deadline is 17:00 on the day given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from rules.clock import OFFICE_TZ, to_utc_iso
from rules.event_kinds import (
    DocumentAttached,
    DossierEvent,
    DossierReceived,
    DossierTransitioned,
    Person,
)
from rules.indicators import Stats, compute
from rules.indicators_766 import National766
from rules.projection import DossierState, apply

START = datetime(2026, 3, 1, tzinfo=OFFICE_TZ)
END = datetime(2026, 4, 1, tzinfo=OFFICE_TZ)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=OFFICE_TZ)


def t(month: int, day: int, hour: int = 9) -> str:
    return to_utc_iso(datetime(2026, month, day, hour, tzinfo=OFFICE_TZ))


def dossier(
    name: str,
    received: tuple[int, int] | None,
    due: tuple[int, int] | None,
    steps: Sequence[tuple[str, int, int, tuple[int, int]]] = (),
    docs: tuple[str, ...] = (),
    channel: str = "in_person",
) -> DossierState:
    """Fold a dossier's events: steps are (action, from, to, (month, day) at 10:00)."""
    events: list[DossierEvent] = [
        DossierReceived(
            dossier_id=name,
            code=f"X-{name}",
            procedure_code="1.000894",
            procedure_version="2025.1",
            procedure_name="Đăng ký kết hôn",
            time_limit=5,
            time_unit="working_days",
            applicant=Person("Lê Văn Cường"),
            proxy=None,
            channel=channel,
            components=[],
            status=1 if received is None else 2,
            submitted_at=t(2, 1) if received is None else t(*received),
            received_at=None if received is None else t(*received),
            due_at=None if due is None else t(*due, 17),
        )
    ]
    for action, source, target, (month, day) in steps:
        stop = action == "request_supplement"  # the clock stops: something was left
        events.append(
            DossierTransitioned(
                dossier_id=name,
                action=action,
                from_status=source,
                to_status=target,
                note="lý do",
                at=t(month, day, 10),
                clock_remaining=1 if stop else None,
                statutory_remaining=1 if stop else None,
            )
        )
    for role in docs:
        events.append(DocumentAttached(name, "a" * 64, 1, "application/pdf", role, "original", "x"))
    state: DossierState | None = None
    for i, event in enumerate(events):
        state = apply(state, event, origin="xa-1", event_id=f"{name}{i}", recorded_at=t(3, 20))
    assert state is not None
    return state


FIXTURE = [
    dossier("A", None, None, channel="online"),  # 1: submitted online, never received
    dossier("B", (3, 10), (3, 17)),  # 2: received, overdue now
    dossier("C", None, None, [("refuse", 1, 3, (3, 5))], channel="online"),  # 3 at the counter
    dossier("C2", (3, 10), (3, 17), [("refuse", 2, 3, (3, 12))]),  # 3 after review
    dossier("D", (3, 16), (3, 23), [("start", 2, 4, (3, 16))], docs=("component",)),  # 4
    dossier("E", (3, 5), (3, 12), [("request_supplement", 2, 5, (3, 9))]),  # 5, never came
    dossier("F", (3, 10), (3, 24), [("request_fee", 2, 6, (3, 11))]),  # 6
    dossier("G", (3, 2), (3, 9), [("withdraw", 2, 7, (3, 11))]),  # 7 after the deadline
    dossier(
        "H",
        (3, 2),
        (3, 9),
        [("request_supplement", 2, 5, (3, 4)), ("stop", 5, 8, (3, 18))],
    ),  # 8 from 5: the supplement never came
    dossier(
        "I",
        (3, 10),
        (3, 17),
        [("start", 2, 4, (3, 10)), ("resolve", 4, 9, (3, 13))],
        docs=("component", "result"),
    ),  # 9
    dossier(
        "J",
        (2, 20),
        (2, 27),
        [("start", 2, 4, (2, 20)), ("resolve", 4, 9, (3, 3)), ("return_result", 9, 10, (3, 4))],
        docs=("component",),
    ),  # 10, received before the window, late
    dossier(
        "K",
        (3, 2),
        (3, 20),
        [
            ("start", 2, 4, (3, 2)),
            ("request_supplement", 4, 5, (3, 3)),
            ("complete_supplement", 5, 4, (3, 4)),
            ("request_supplement", 4, 5, (3, 5)),
            ("complete_supplement", 5, 4, (3, 6)),
            ("resolve", 4, 9, (3, 10)),
            ("return_result", 9, 10, (3, 11)),
        ],
        docs=("component",),
    ),  # 10 with two supplement requests: late whatever the dates
]


def test_every_status_is_in_the_fixture() -> None:
    assert {s.status for s in FIXTURE} == set(range(1, 11))


@pytest.fixture(scope="module")
def stats() -> Stats:
    return compute(FIXTURE, START, END, NOW)


@pytest.fixture(scope="module")
def national(stats: Stats) -> National766:
    assert stats.national is not None
    return stats.national


def test_the_projects_own_counts(stats: Stats) -> None:
    # received in March: B C2 D E F G H I K (A, C never received; J in February)
    assert stats.received == 9
    assert stats.resolved == 3  # I, J, K
    assert stats.finished == 6  # C (at the counter), C2, H, I, J, K
    assert (stats.on_time, stats.early, stats.late) == (2, 2, 3)  # C2 I early; H J K late
    assert stats.on_time_rate == pytest.approx(2 / 5)
    assert stats.in_progress == 5  # B D E F G (7 is not an end here)
    assert stats.overdue_in_progress == 2  # B, G (E's clock is stopped)
    assert stats.digitised == 1  # finished with both files: I
    assert stats.channels.in_person == pytest.approx(1.0)


def test_decision_766_progress(national: National766) -> None:
    n = national
    # Ended: C2 (3/12), E (3/9, at the request), G (3/11, withdrawal), H (3/4, at the
    # request), I (3/13), J (3/3, resolved), K (3/10).
    assert n.ended == 7
    # On time: C2, E, H, I. Late: G (after 3/9), J (after 2/27), K (two supplements).
    assert n.ended_on_time == 4
    assert n.in_progress == 3  # B D F
    assert n.in_progress_within_time == 2  # D, F (B is past 3/17)
    assert n.progress_rate == pytest.approx((4 + 2) / (7 + 3))


def test_decision_766_digitisation(national: National766) -> None:
    n = national
    assert n.received == 9
    assert n.components_digitised == 3  # D, I, K (J has one but was received in February)
    assert n.digitisation_rate == pytest.approx(3 / 9)
    assert n.resolved == 2  # I, K of those received in March
    assert n.results_digitised == 1  # I
    assert n.result_digitisation_rate == pytest.approx(1 / 2)


def test_an_empty_window_has_no_rates() -> None:
    n = compute([], START, END, NOW).national
    assert n is not None
    assert (n.progress_rate, n.digitisation_rate, n.result_digitisation_rate) == (None, None, None)
