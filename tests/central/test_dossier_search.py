"""The city's dossier search by procedure (the dossiers page's filter), on both stores."""

from __future__ import annotations

import msgspec

from central.message_handler import MessageHandler
from central.store import DossierQuery
from rules.event_kinds import decode_body, encode_body
from sync import wire
from tests.central.fake_node import FakeNode


def test_the_procedure_filter_keeps_that_procedures_dossiers(handler: MessageHandler) -> None:
    node = FakeNode("xa-an-binh")
    marriage = node.receive()
    birth = node.receive()
    record = node.log[-1]
    body = msgspec.structs.replace(decode_body(record.body), procedure_code="1.001193")  # type: ignore[arg-type]
    node.log[-1] = msgspec.structs.replace(record, body=encode_body(body))
    out = handler.handle(*node.batch(1, len(node.log)))
    assert isinstance(out[0].message, wire.EventAck), out
    store = handler.store
    found, total = store.query_dossiers(DossierQuery(procedure_code="1.001193"))
    assert (total, [s.id for _, s in found]) == (1, [birth])
    found, total = store.query_dossiers(DossierQuery(procedure_code="1.000894", node="xa-an-binh"))
    assert (total, [s.id for _, s in found]) == (1, [marriage])
    assert store.query_dossiers(DossierQuery(procedure_code="1.000894%"))[1] == 0
    assert store.query_dossiers(DossierQuery())[1] == 2
