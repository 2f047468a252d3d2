"""The citizen's lookup PIN reaches the city with the dossier (its lookup page needs it),
whether it came in the reception event or later in a ``lookup_pin_issued`` event."""

from __future__ import annotations

import pytest

from central.event_checks import EventCheckError, check_events
from central.store import CentralStore
from rules.event_kinds import LookupPinIssued
from sync import wire
from tests.central.fake_node import FakeNode

AT = "2027-02-01T03:00:00.000000Z"


def test_a_pin_issued_after_reception_reaches_the_citys_dossier(store: CentralStore) -> None:
    node = FakeNode("xa-an-binh")
    dossier_id = node.receive()  # as received before PINs existed: no PIN in the event
    node._append(dossier_id, LookupPinIssued(dossier_id, "042917"))
    outcome = store.apply_batch(wire.EventBatch(node.node_id, 1, node.log), AT)
    assert outcome.status == "applied" and outcome.applied == 2
    view = store.get_dossier(dossier_id)
    assert view is not None and view.state.lookup_pin == "042917"


def test_the_city_refuses_a_batch_with_a_bad_pin() -> None:
    node = FakeNode("xa-an-binh")
    dossier_id = node.receive()
    check_events(node.log)
    node._append(dossier_id, LookupPinIssued(dossier_id, "42"))
    with pytest.raises(EventCheckError, match="6 digits"):
        check_events(node.log)
