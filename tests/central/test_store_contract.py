"""The ``CentralStore`` contract, run against SQLite and a real PostgreSQL alike."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest

from central.postgres_store import PostgresCentralStore
from central.sql_store import SqlCentralStore
from central.sqlite_store import SqliteCentralStore
from central.store import CENTRAL_ORIGIN, CentralStore, DossierQuery, StoreError
from rules.event_kinds import CalendarDaySet, ProcedureUpserted
from rules.replay import refold
from sync import wire
from tests.central.fake_node import FakeNode

AT = "2027-02-01T03:00:00.000000Z"
NODE = "xa-an-binh"


def batch(node: FakeNode, first: int, last: int) -> wire.EventBatch:
    return wire.EventBatch(node.node_id, first, node.log[first - 1 : last])


def birth(node_id: str, session: str, last_seq: int = 0, bd_seq: int = 0) -> wire.Birth:
    return wire.Birth(node_id, session, last_seq, "0.1.0", bd_seq)


def sibling(store: CentralStore, tmp_path: Path) -> CentralStore:
    """A second store object on the same database, as another receiver process has."""
    if isinstance(store, PostgresCentralStore):
        return PostgresCentralStore(store.url)
    assert isinstance(store, SqliteCentralStore)
    return SqliteCentralStore(store.path)


def test_a_batch_is_applied_and_its_dossiers_projected_by_refold(store: CentralStore) -> None:
    node = FakeNode(NODE)
    a = node.receive()
    node.transition(a, "start", 2, 4)
    b = node.receive(name="Trần Thị Bình")
    outcome = store.apply_batch(batch(node, 1, 3), AT)
    assert (outcome.status, outcome.head, outcome.applied, outcome.duplicates) == (
        "applied",
        3,
        3,
        0,
    )
    assert store.node_log(NODE) == node.log
    view = store.get_dossier(a)
    assert view is not None and view.node_id == NODE
    assert view.state == refold(node.log[:2]) and view.state.status == 4
    assert view.events == node.log[:2]
    other = store.get_dossier(b)
    assert other is not None and other.state.applicant.full_name == "Trần Thị Bình"
    row = store.get_node(NODE)
    assert row is not None and (row.acked_upto, row.node_last_seq) == (3, 3)


def test_a_repeated_batch_is_skipped_and_counted(store: CentralStore) -> None:
    node = FakeNode(NODE)
    node.receive()
    node.receive()
    store.apply_batch(batch(node, 1, 2), AT)
    again = store.apply_batch(batch(node, 1, 2), AT)
    assert (again.status, again.head, again.applied, again.duplicates) == ("duplicate", 2, 0, 2)
    assert len(store.node_log(NODE)) == 2
    row = store.get_node(NODE)
    assert row is not None and row.duplicates == 2


def test_an_overlapping_batch_applies_only_what_is_new(store: CentralStore) -> None:
    node = FakeNode(NODE)
    for _ in range(4):
        node.receive()
    store.apply_batch(batch(node, 1, 2), AT)
    outcome = store.apply_batch(batch(node, 2, 4), AT)
    assert (outcome.status, outcome.head, outcome.applied, outcome.duplicates) == (
        "applied",
        4,
        2,
        1,
    )
    assert store.node_log(NODE) == node.log


def test_a_batch_that_would_leave_a_gap_applies_nothing(store: CentralStore) -> None:
    node = FakeNode(NODE)
    for _ in range(4):
        node.receive()
    store.apply_batch(batch(node, 1, 1), AT)
    outcome = store.apply_batch(batch(node, 3, 4), AT)
    assert (outcome.status, outcome.head) == ("gap", 1)
    assert store.node_log(NODE) == node.log[:1]
    row = store.get_node(NODE)
    assert row is not None and row.gaps == 1 and row.node_last_seq == 4
    assert row.pending_estimate == 3


def test_a_diverged_log_is_refused_not_skipped_as_duplicates(store: CentralStore) -> None:
    # The node was restored from an old backup and wrote new events under held seqs:
    # skipping them as repeats would lose them without a trace.
    original = FakeNode(NODE)
    original.receive()
    original.receive()
    store.apply_batch(batch(original, 1, 2), AT)
    restored = FakeNode(NODE)
    restored.receive()
    restored.receive()
    restored.receive()
    outcome = store.apply_batch(batch(restored, 1, 3), AT)
    assert outcome.status == "seq_conflict" and outcome.head == 2
    assert store.node_log(NODE) == original.log
    row = store.get_node(NODE)
    assert row is not None and row.last_error is not None and "diverged" in row.last_error


def test_a_node_cannot_write_to_another_nodes_dossier(store: CentralStore) -> None:
    owner = FakeNode(NODE)
    dossier = owner.receive()
    store.apply_batch(batch(owner, 1, 1), AT)
    intruder = FakeNode("phuong-hai-chau")
    intruder.transition(dossier, "start", 2, 4)
    outcome = store.apply_batch(batch(intruder, 1, 1), AT)
    assert outcome.status == "foreign_dossier"
    assert store.node_log("phuong-hai-chau") == []
    view = store.get_dossier(dossier)
    assert view is not None and view.state.status == 2


def test_presence_pairs_each_death_with_its_birth_not_by_clocks(store: CentralStore) -> None:
    s1 = "2027-02-01T01:00:00.000000Z"
    row = store.record_birth(birth(NODE, s1, 5, bd_seq=1), AT)
    assert row.online and row.node_last_seq == 5 and row.pending_estimate == 5
    # A cut, and the same process reconnects: its Birth names connection 2.
    store.record_birth(birth(NODE, s1, bd_seq=2), AT)
    assert not store.record_offline(wire.Offline(NODE, s1, 1), AT)  # the cut one's will
    assert (node := store.get_node(NODE)) is not None and node.online
    # Another spelling of the same instant names the same connection.
    assert store.record_offline(wire.Offline(NODE, "2027-02-01T01:00:00.000Z", 2), AT)
    assert (node := store.get_node(NODE)) is not None and not node.online
    # Told twice (the explicit death before a clean stop, then the will): once is enough.
    assert not store.record_offline(wire.Offline(NODE, s1, 2), AT)
    # A will overtaking its own Birth (two receivers): that connection stays ended.
    s3 = "2027-02-01T03:00:00.5Z"
    assert not store.record_offline(wire.Offline(NODE, s3, 1), AT)
    assert not store.record_birth(birth(NODE, s3, bd_seq=1), AT).online
    # A clock that ran years ahead and was set right: the newest Birth is the present.
    store.record_birth(birth(NODE, "2031-06-01T00:00:00Z", bd_seq=1), AT)
    back = store.record_birth(birth(NODE, "2027-02-01T04:00:00Z", bd_seq=1), AT)
    assert back.online and back.started_at == "2027-02-01T04:00:00Z" and back.bd_seq == 1
    # And the will of the session with the wrong clock, arriving late, ends nothing.
    assert not store.record_offline(wire.Offline(NODE, "2031-06-01T00:00:00Z", 1), AT)
    assert (node := store.get_node(NODE)) is not None and node.online


def test_a_birth_reporting_fewer_events_than_held_is_flagged(store: CentralStore) -> None:
    node = FakeNode(NODE)
    node.receive()
    node.receive()
    store.apply_batch(batch(node, 1, 2), AT)
    row = store.record_birth(birth(NODE, node.session, 1), AT)
    assert row.last_error is not None and "backup" in row.last_error


def test_city_events_have_a_dense_seq_per_node(store: CentralStore) -> None:
    day = CalendarDaySet("2027-09-03", "holiday", "Quốc khánh")
    proc = ProcedureUpserted("1.1", "1", "Thủ tục", "Hộ tịch", 3, "working_days", "none", [])
    a = store.append_reference(NODE, [day, proc], "central:cli", AT)
    b = store.append_reference("xa-b", [day], "central:cli", AT)
    a2 = store.append_reference(NODE, [day], "central:cli", AT)
    assert [(r.origin, r.seq, r.stream) for r in a + a2] == [
        (CENTRAL_ORIGIN, 1, "calendar"),
        (CENTRAL_ORIGIN, 2, "catalog"),
        (CENTRAL_ORIGIN, 3, "calendar"),
    ]
    assert [(r.origin, r.seq) for r in b] == [(CENTRAL_ORIGIN, 1)]
    assert store.down_events(NODE, 1, 10) == a[1:] + a2
    assert [r.seq for r in store.reference_events(NODE)] == [1, 2, 3]
    row = store.get_node(NODE)
    assert row is not None and row.central_seq == 3 and row.down_pending == 3


def test_downstream_marks_move_forward_rewind_on_request_and_are_claimed_once(
    store: CentralStore, tmp_path: Path
) -> None:
    day = CalendarDaySet("2027-09-03", "holiday", "Quốc khánh")
    store.append_reference(NODE, [day, day, day], "central:cli", AT)
    store.record_birth(birth(NODE, "2027-02-01T01:00:00Z"), AT)
    assert store.record_down_ack(NODE, 2, AT).down_acked_upto == 2
    assert store.record_down_ack(NODE, 1, AT).down_acked_upto == 2  # a late, older ack
    assert store.record_down_ack(NODE, 99, AT).down_acked_upto == 3  # never past the head
    row = store.rewind_down(NODE, 2, AT)
    assert (row.down_acked_upto, row.down_sent_upto) == (1, 1)
    # Two receivers ticking at once: only one of them resends to the node.
    other = sibling(store, tmp_path)
    try:
        first = store.claim_resends("2027-02-01T03:00:00Z", "2027-02-01T03:00:01Z")
        second = other.claim_resends("2027-02-01T03:00:00Z", "2027-02-01T03:00:02Z")
    finally:
        other.close()
    assert [r.node_id for r in first] == [NODE] and second == []
    store.record_offline(wire.Offline(NODE, "2027-02-01T01:00:00Z"), AT)
    assert store.claim_resends("2027-02-02T00:00:00Z", "2027-02-02T00:00:01Z") == []


def test_dossier_queries_filter_by_node_text_status_and_conflict(store: CentralStore) -> None:
    a, b = FakeNode(NODE), FakeNode("phuong-hai-chau")
    first = a.receive(name="Nguyễn Văn Đức")
    a.transition(first, "start", 2, 4)
    a.receive(name="Lê Thị Hoa")
    b.receive(name="Phạm Đức Anh")
    store.apply_batch(batch(a, 1, 3), AT)
    store.apply_batch(batch(b, 1, 1), AT)
    found, total = store.query_dossiers(DossierQuery(q="duc"))
    assert total == 2 and {n for n, _ in found} == {NODE, "phuong-hai-chau"}
    found, total = store.query_dossiers(DossierQuery(node=NODE))
    assert total == 2
    found, total = store.query_dossiers(DossierQuery(node=NODE, status=4))
    assert [s.id for _, s in found] == [first]
    page, total = store.query_dossiers(DossierQuery(limit=1, offset=1))
    assert total == 3 and len(page) == 1
    assert store.query_dossiers(DossierQuery(conflicted=True))[1] == 0
    assert len(store.dossier_states(NODE)) == 2 and len(store.dossier_states(None)) == 3
    assert store.dossier_counts() == {NODE: (2, 0), "phuong-hai-chau": (1, 0)}


def test_rejections_are_counted_per_node_and_reason(store: CentralStore) -> None:
    store.record_birth(birth(NODE, "2027-02-01T01:00:00Z"), AT)
    store.record_rejection(NODE, "wrong_node", "payload names xa-b", AT)
    store.record_rejection(NODE, "wrong_node", "payload names xa-c", AT)
    store.record_rejection(None, "bad_topic", "x/y", AT)
    counts = {(r.node_id, r.reason): (r.count, r.last_detail) for r in store.rejection_counts()}
    assert counts == {
        (NODE, "wrong_node"): (2, "payload names xa-c"),
        ("", "bad_topic"): (1, "x/y"),
    }
    row = store.get_node(NODE)
    assert row is not None and row.rejected == 2
    assert row.last_error == "wrong_node: payload names xa-c"


def test_files_are_recorded_once(store: CentralStore) -> None:
    sha = "ab" * 32
    assert store.blob_size(sha) is None
    store.record_blob(sha, 10, AT)
    store.record_blob(sha, 10, AT)
    assert store.blob_size(sha) == 10


def test_events_cannot_be_changed_or_left_with_a_gap(store: CentralStore) -> None:
    node = FakeNode(NODE)
    node.receive()
    node.receive()
    store.apply_batch(batch(node, 1, 1), AT)
    assert isinstance(store, SqlCentralStore)
    for sql in (
        "UPDATE events SET actor = 'x'",
        "DELETE FROM events",
        "INSERT INTO events (node_id, origin, seq, id, stream, kind, recorded_at, actor, "
        "format, body) SELECT node_id, origin, 5, 'x', stream, kind, recorded_at, actor, "
        "format, body FROM events",
    ):
        with pytest.raises(StoreError), store._write(None) as tx:
            tx.run(sql)
    assert store.node_log(NODE) == node.log[:1]


def test_migrating_again_changes_nothing_and_data_survives_reopening(
    store: CentralStore, tmp_path: Path
) -> None:
    node = FakeNode(NODE)
    node.receive()
    store.apply_batch(batch(node, 1, 1), AT)
    assert store.migrate() == []
    again = sibling(store, tmp_path)
    try:
        assert again.migrate() == [] and again.schema_version() == "005_board"
        assert again.node_log(NODE) == node.log
    finally:
        again.close()
    store.close()
    store.close()  # idempotent


def test_receivers_racing_on_one_node_store_each_event_exactly_once(
    store: CentralStore, tmp_path: Path
) -> None:
    # Four receivers (own connections) get the node's batches in their own orders, as
    # a shared subscription spreads them; after the node resends what was refused, the
    # log holds every event once, in order.
    node = FakeNode(NODE)
    for _ in range(30):
        node.receive()
    batches = [batch(node, i, min(i + 2, 30)) for i in range(1, 31, 3)]
    receivers = [sibling(store, tmp_path) for _ in range(4)]
    applied: list[int] = []
    lock = threading.Lock()

    def run(s: CentralStore, seed: int) -> None:
        order = list(batches)
        random.Random(seed).shuffle(order)
        for _ in range(len(batches)):  # resend until the log is complete, like a node
            for b in order:
                outcome = s.apply_batch(b, AT)
                with lock:
                    applied.append(outcome.applied)

    threads = [threading.Thread(target=run, args=(s, i)) for i, s in enumerate(receivers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in receivers:
        s.close()
    assert sum(applied) == 30
    assert store.node_log(NODE) == node.log
    row = store.get_node(NODE)
    assert row is not None and row.acked_upto == 30
