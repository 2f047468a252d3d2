"""The city refuses an event the shared rules could not read later: a bad cutoff, a version
(``after``) that is no event id."""

from __future__ import annotations

import msgspec
import pytest

from central.event_checks import EventCheckError, check_body
from rules.event_kinds import (
    DocumentAttached,
    DossierReceived,
    DossierTransitioned,
    FollowingEvent,
    LookupPinIssued,
    Person,
    ProcedureUpserted,
)
from rules.reference_streams import CATALOG_STREAM


def received(cutoff: str) -> DossierReceived:
    return DossierReceived(
        dossier_id="d-1",
        code="000.00.15.H42-260303-0001",
        procedure_code="2.000815",
        procedure_version="2025.1",
        procedure_name="Chứng thực bản sao",
        time_limit=0,
        time_unit="same_day",
        applicant=Person("Phạm Thị Dung"),
        proxy=None,
        channel="in_person",
        components=[],
        status=2,
        submitted_at="2026-03-03T07:00:00.000000Z",
        received_at="2026-03-03T07:00:00.000000Z",
        due_at="2026-03-03T10:00:00.000000Z",
        same_day_cutoff=cutoff,
    )


def procedure(cutoff: str) -> ProcedureUpserted:
    return ProcedureUpserted(
        "2.000815", "2025.1", "Chứng thực", "Chứng thực", 0, "same_day", "none", [], False, cutoff
    )


def test_a_good_cutoff_passes() -> None:
    check_body(received("16:30"), "d-1")
    check_body(procedure("15:00"), CATALOG_STREAM)


@pytest.mark.parametrize("cutoff", ["", "3pm", "24:00", "15:0"])
def test_a_bad_cutoff_is_refused_with_what_was_wrong(cutoff: str) -> None:
    for body, stream in ((received(cutoff), "d-1"), (procedure(cutoff), CATALOG_STREAM)):
        with pytest.raises(EventCheckError) as refused:
            check_body(body, stream)
        assert "same_day_cutoff must be HH:MM" in str(refused.value)


FOLLOWING = [
    DossierTransitioned("d-1", "start", 2, 4),
    DocumentAttached("d-1", "a" * 64, 10, "application/pdf", "component", "original", "x.pdf"),
    LookupPinIssued("d-1", "123456"),
]


@pytest.mark.parametrize("body", FOLLOWING, ids=lambda b: type(b).__name__)
def test_every_following_kind_names_its_version_by_an_event_id(body: FollowingEvent) -> None:
    check_body(msgspec.structs.replace(body, after="0190c0de-0000-7000-8000-000000000009"), "d-1")
    check_body(body, "d-1")  # written before causal order: none named
    for bad in ("", "x" * 65, "id with spaces", "../d-2"):
        with pytest.raises(EventCheckError, match="after must name an event id"):
            check_body(msgspec.structs.replace(body, after=bad), "d-1")
