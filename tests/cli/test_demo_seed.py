"""The demo's sample dossiers read as an office's would: each step's note is what an
officer writes (a supplement request names the missing papers), and each step is dated
between the dossier's reception and now, so the timelines and forms agree with the
reception day. The log records every step at seeding time: its ``recorded_at`` is never set
back; the steps carry their effective time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cli.demo_cmd import SAMPLE_DOSSIERS, seed
from node import dossier_service, dossier_store, event_log
from node.dossier_service import PersonIn, ReceiveRequest
from node.runtime import NodeRuntime
from rules.clock import from_utc_iso, utc_now
from rules.event_kinds import DossierTransitioned, decode_body
from rules.lifecycle import Action
from rules.permissions import seeding_machine
from rules.public_progress import public_progress
from rules.transitions import TransitionRequest
from storage.dossier_rows import DossierFilter


def test_the_seeded_steps_have_real_notes_and_agree_with_the_reception(
    runtime: NodeRuntime,
) -> None:
    before = utc_now()
    assert seed(runtime) == len(SAMPLE_DOSSIERS)
    after = utc_now()
    conn = runtime.db.read()
    for name, _id, _code, _channel, days_ago, steps in SAMPLE_DOSSIERS:
        (state,), _total = dossier_store.query(conn, DossierFilter(q=name))
        records = event_log.for_stream(conn, state.id)
        received = from_utc_iso(state.submitted_at)
        assert before - timedelta(days=days_ago) <= received <= after - timedelta(days=days_ago)
        assert state.components, f"{name}: the procedure's components are ticked"
        moves = [b for r in records if isinstance(b := decode_body(r.body), DossierTransitioned)]
        assert [(m.action, m.note) for m in moves] == [(a, n) for a, _h, n in steps]
        for move, (_action, hours, _note) in zip(moves, steps, strict=True):
            assert "dữ liệu mẫu" not in move.note
            # Every sample step falls before now: none is held back to the seeding time.
            assert from_utc_iso(move.at) == received + timedelta(hours=hours) < before
        assert all(before <= from_utc_iso(r.recorded_at) <= after for r in records)
        # The citizen's lookup dates each step when it was taken, reception first.
        shown = [from_utc_iso(s.at) for s in public_progress(state, records).steps]
        assert shown[0] == received and shown == sorted(shown), (name, shown)
    (lan,), _ = dossier_store.query(conn, DossierFilter(q="Võ Thị Lan"))
    asked = decode_body(event_log.for_stream(conn, lan.id)[-1].body)
    assert isinstance(asked, DossierTransitioned) and "Bản sao giấy khai sinh" in asked.note
    assert lan.clock_stopped_at == asked.at  # the clock stopped when it was asked


def _received(runtime: NodeRuntime, days_ago: int) -> str:
    req = ReceiveRequest(
        procedure_code="1.000894",
        applicant=PersonIn(full_name="Nguyễn Văn An"),
        channel="in_person",
        received_at=utc_now() - timedelta(days=days_ago),
    )
    return dossier_service.receive(runtime, req, seeding_machine("test")).id


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (timedelta(hours=1), "at is in the future"),
        (timedelta(days=-3), "at is before the dossier was submitted"),
    ],
)
def test_a_step_dated_in_the_future_or_before_the_dossier_is_refused(
    runtime: NodeRuntime, at: timedelta, message: str
) -> None:
    dossier_id = _received(runtime, days_ago=2)
    head = event_log.head_seq(runtime.db.read(), runtime.node_id)
    with pytest.raises(dossier_service.DossierError, match=message) as refused:
        dossier_service.transition(
            runtime,
            dossier_id,
            TransitionRequest(Action.START),
            seeding_machine("test"),
            at=utc_now() + at,
        )
    assert refused.value.field == "at"
    assert event_log.head_seq(runtime.db.read(), runtime.node_id) == head  # nothing written


def test_a_step_without_an_offset_is_refused(runtime: NodeRuntime) -> None:
    dossier_id = _received(runtime, days_ago=2)
    with pytest.raises(dossier_service.DossierError, match="at needs a UTC offset"):
        dossier_service.transition(
            runtime,
            dossier_id,
            TransitionRequest(Action.START),
            seeding_machine("test"),
            at=utc_now().replace(tzinfo=None),
        )
