"""The citizen's lookup PIN: issued at reception, recorded in the event (so it replicates),
issued once by an event for a dossier received before PINs existed, and checked by the city."""

from __future__ import annotations

import msgspec
import pytest

from central.event_checks import EventCheckError, check_body
from node import dossier_service, event_log
from node.runtime import NodeRuntime
from rules.actor import STAFF_ROLES, Actor
from rules.event_kinds import DossierReceived, LookupPinIssued, decode_body
from rules.lookup_pin import is_lookup_pin
from rules.replay import refold
from storage.db import scalar
from tests.node.helpers import PROCEDURE, Client, create

STAFF = Actor(user_id="can-bo", display_name="Cán bộ", roles=STAFF_ROLES)


def _receive(rt: NodeRuntime) -> str:
    req = msgspec.convert(
        {"procedure_code": PROCEDURE, "applicant": {"full_name": "Lê Văn Cũ"}, "channel": "post"},
        dossier_service.ReceiveRequest,
    )
    return dossier_service.receive(rt, req, STAFF).id


def _event_count(rt: NodeRuntime) -> int:
    return int(scalar(rt.db.read(), "SELECT COUNT(*) FROM events"))


def test_reception_records_a_six_digit_pin_in_its_event_and_the_json(
    client: Client, runtime: NodeRuntime
) -> None:
    created = create(client)
    pin = created["lookup_pin"]
    assert is_lookup_pin(pin)
    (record,) = event_log.for_stream(runtime.db.read(), created["id"])
    body = decode_body(record.body)
    assert isinstance(body, DossierReceived) and body.lookup_pin == pin
    assert client.get(f"/api/v1/dossiers/{created['id']}").json()["lookup_pin"] == pin
    listed = client.get("/api/v1/dossiers").json()["items"]
    assert [d["lookup_pin"] for d in listed] == [pin]


def test_pins_are_not_one_fixed_value(client: Client) -> None:
    pins = {create(client)["lookup_pin"] for _ in range(8)}
    assert len(pins) > 1  # 8 draws from a million: equal by chance once in ~10^38


def test_a_dossier_without_a_pin_gets_one_event_once(
    runtime: NodeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:  # as a dossier received before PINs existed
        m.setattr(dossier_service, "new_lookup_pin", lambda: "")
        dossier_id = _receive(runtime)
    before = _event_count(runtime)
    state = dossier_service.ensure_lookup_pin(runtime, dossier_id, STAFF)
    assert is_lookup_pin(state.lookup_pin)
    assert _event_count(runtime) == before + 1
    again = dossier_service.ensure_lookup_pin(runtime, dossier_id, STAFF)
    assert again.lookup_pin == state.lookup_pin and _event_count(runtime) == before + 1
    records = event_log.for_stream(runtime.db.read(), dossier_id)
    issued = decode_body(records[-1].body)
    assert isinstance(issued, LookupPinIssued) and issued.pin == state.lookup_pin
    # What the city folds from the replicated events holds the same PIN.
    folded = refold(records)
    assert folded is not None and folded.lookup_pin == state.lookup_pin


def test_an_unknown_dossier_gets_no_pin(runtime: NodeRuntime) -> None:
    before = _event_count(runtime)
    with pytest.raises(dossier_service.NotFound):
        dossier_service.ensure_lookup_pin(runtime, "no-such-dossier", STAFF)
    assert _event_count(runtime) == before


def test_the_first_pin_issued_stands(runtime: NodeRuntime) -> None:
    dossier_id = _receive(runtime)
    records = event_log.for_stream(runtime.db.read(), dossier_id)
    first = refold(records)
    assert first is not None
    extra = msgspec.structs.replace(
        records[0],
        seq=records[0].seq + 1,
        id="later",
        kind="lookup_pin_issued",
        recorded_at="2099-01-01T00:00:00.000000Z",
        body=msgspec.json.encode(LookupPinIssued(dossier_id, "999999")),
    )
    folded = refold([*records, extra])
    assert folded is not None and folded.lookup_pin == first.lookup_pin != "999999"


@pytest.mark.parametrize("pin", ["12345", "1234567", "12345a", "١٢٣٤٥٦", ""])
def test_the_city_refuses_a_pin_that_is_not_six_digits(pin: str) -> None:
    with pytest.raises(EventCheckError, match="6 digits"):
        check_body(LookupPinIssued("d-1", pin), "d-1")


def test_the_city_accepts_a_good_pin() -> None:
    check_body(LookupPinIssued("d-1", "012345"), "d-1")
