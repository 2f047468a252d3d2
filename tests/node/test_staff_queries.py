"""The service pieces the staff pages read through: the appointment preview, the procedure
search, the list's new filters and orders, a dossier's document file."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from node import dossier_service, dossier_store, reference_data
from node.appointments import preview_due
from node.document_files import document_file
from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Actor
from rules.clock import from_utc_iso, to_utc_iso, utc_now
from rules.errors import DossierError, NotFound
from rules.projection import DossierState
from storage.dossier_rows import DossierFilter, filter_clauses, order_clause
from tests.node.helpers import PROCEDURE

STAFF = Actor("can-bo", roles=STAFF_ROLES)


def _receive(rt: NodeRuntime, name: str = "Nguyễn Văn Đức", **extra: object) -> DossierState:
    body = {
        "procedure_code": PROCEDURE,
        "channel": "in_person",
        "applicant": {"full_name": name},
        **extra,
    }
    return dossier_service.receive(rt, msgspec.convert(body, dossier_service.ReceiveRequest), STAFF)


def _save(rt: NodeRuntime, state: DossierState) -> None:
    rt.db.submit(lambda conn: dossier_store.save(conn, state))


def test_the_preview_is_the_appointment_receiving_gives(runtime: NodeRuntime) -> None:
    before = utc_now()
    preview = preview_due(runtime, PROCEDURE, "in_person", before)
    state = _receive(runtime, received_at=before.isoformat())
    assert preview.procedure.code == PROCEDURE and preview.procedure.components
    assert preview.appointment.due_at is not None
    assert to_utc_iso(preview.appointment.due_at) == state.due_at
    assert preview.appointment.provisional_years == state.provisional_years
    online = preview_due(runtime, PROCEDURE, "online", before)
    assert online.appointment.due_at is None


def test_the_preview_of_an_unknown_procedure_names_the_field(runtime: NodeRuntime) -> None:
    with pytest.raises(DossierError) as refused:
        preview_due(runtime, "9.999999", "in_person", utc_now())
    assert refused.value.field == "procedure_code"


@pytest.mark.parametrize("query", ["ket hon", "KẾT HÔN", "1.000894", "Đăng ký kết"])
def test_procedures_are_found_by_name_or_code_without_accents(
    runtime: NodeRuntime, query: str
) -> None:
    found = reference_data.search_procedures(runtime.db.read(), query)
    assert PROCEDURE in [p.code for p in found]


def test_a_blank_procedure_search_lists_up_to_the_limit(runtime: NodeRuntime) -> None:
    assert len(reference_data.search_procedures(runtime.db.read(), "", limit=3)) == 3
    assert reference_data.search_procedures(runtime.db.read(), "zzzz khong co") == []


def test_filters_by_procedure_due_window_and_provisional(runtime: NodeRuntime) -> None:
    plain = _receive(runtime, "Trần Văn Một")
    provisional = _receive(runtime, "Lê Thị Hai")
    provisional.provisional_years = [2099]
    _save(runtime, provisional)
    conn = runtime.db.read()

    def codes(**fields: object) -> set[str]:
        return {s.code for s in dossier_store.query(conn, DossierFilter(**fields))[0]}  # type: ignore[arg-type]

    assert codes(provisional=True) == {provisional.code}
    assert codes(provisional=False) == {plain.code}
    assert codes(procedure_code=PROCEDURE) == {plain.code, provisional.code}
    assert codes(procedure_code="1.000000") == set()
    due = from_utc_iso(plain.statutory_due_at or "")
    window = {"due_from": to_utc_iso(due - timedelta(minutes=1)), "due_to": to_utc_iso(due)}
    assert codes(**window) == set()  # the upper bound is exclusive
    window["due_to"] = to_utc_iso(due + timedelta(minutes=1))
    assert plain.code in codes(**window)


def test_orders_by_reception_or_deadline_both_ways(runtime: NodeRuntime) -> None:
    first, second = _receive(runtime, "A"), _receive(runtime, "B")
    early = msgspec.structs.replace(second, statutory_due_at=to_utc_iso(utc_now()))
    _save(runtime, early)
    conn = runtime.db.read()

    def order(**fields: object) -> list[str]:
        return [s.code for s in dossier_store.query(conn, DossierFilter(**fields))[0]]  # type: ignore[arg-type]

    assert order() == [second.code, first.code]  # newest reception first, as before
    assert order(descending=False) == [first.code, second.code]
    assert order(sort="due", descending=False) == [second.code, first.code]
    assert order(sort="due", descending=True) == [first.code, second.code]
    assert order(sort="due", limit=1, offset=1, descending=False) == [first.code]


def test_a_document_file_only_through_its_own_dossier(runtime: NodeRuntime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mine, other = _receive(runtime, "A"), _receive(runtime, "B")
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF-1.4 test")
    blob = runtime.blobs.put_file(source)
    dossier_service.attach_document(
        runtime,
        mine.id,
        blob,
        mime="application/pdf",
        role="component",
        copy_kind="original",
        filename="a.pdf",
        actor=STAFF,
    )
    ref, path = document_file(runtime, mine.id, blob.sha256)
    assert ref.filename == "a.pdf" and path.read_bytes() == b"%PDF-1.4 test"
    with pytest.raises(NotFound):
        document_file(runtime, other.id, blob.sha256)
    with pytest.raises(NotFound):
        document_file(runtime, "no-such-dossier", blob.sha256)


@pytest.mark.parametrize(
    ("fields", "index"),
    [
        ({}, "dossiers_by_list_order"),
        ({"provisional": True}, "dossiers_by_exact_appointment"),
        ({"provisional": False}, "dossiers_by_exact_appointment"),
    ],
)
def test_the_list_reads_through_its_indexes(
    runtime: NodeRuntime, fields: dict[str, object], index: str
) -> None:
    """50,000 dossiers: a scan of the state blobs took a third of a second (bench_pages)."""
    where, args = filter_clauses(DossierFilter(**fields))  # type: ignore[arg-type]
    order = order_clause(DossierFilter())
    sql = f"SELECT id FROM dossiers WHERE {' AND '.join(where)} ORDER BY {order}"
    plan = " ".join(str(r[3]) for r in runtime.db.read().execute(f"EXPLAIN QUERY PLAN {sql}", args))
    assert index in plan, plan


def test_a_page_larger_than_one_select_keeps_its_order(
    runtime: NodeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CSV asks for every match at once: more ids than SQLite binds in one statement."""
    made = [_receive(runtime, f"Người {n}").code for n in range(3)]
    monkeypatch.setattr(dossier_store, "_IDS_PER_SELECT", 2)
    states, total = dossier_store.query(runtime.db.read(), DossierFilter(limit=10))
    assert total == 3 and [s.code for s in states] == made[::-1]
