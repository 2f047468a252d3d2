"""Bad bodies: each is a 4xx that names what was wrong, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from node.runtime import NodeRuntime
from tests.node.helpers import Client, applicant, counts, create_body


def _without(key: str) -> dict[str, Any]:
    body = create_body()
    del body[key]
    return body


BAD_CREATES: list[tuple[str, Any, str]] = [
    ("missing procedure", _without("procedure_code"), "procedure_code"),
    ("missing applicant", _without("applicant"), "applicant"),
    ("missing channel", _without("channel"), "channel"),
    ("unknown channel", create_body(channel="fax"), "channel"),
    ("unknown procedure", create_body(procedure_code="9.999999"), "procedure_code"),
    ("empty procedure", create_body(procedure_code=""), "procedure_code"),
    ("name wrong type", create_body(applicant={"full_name": 5}), "applicant.full_name"),
    ("name empty", create_body(applicant={"full_name": ""}), "applicant.full_name"),
    ("name blank", create_body(applicant={"full_name": "   "}), "applicant.full_name"),
    ("name too long", create_body(applicant={"full_name": "A" * 201}), "applicant.full_name"),
    ("bad id number", create_body(applicant=applicant(id_number="12-34")), "applicant.id_number"),
    ("bad phone", create_body(applicant={"full_name": "A", "phone": "call me"}), "applicant.phone"),
    ("unknown applicant key", create_body(applicant={"full_name": "A", "email": "x"}), "applicant"),
    ("proxy without name", create_body(proxy={"phone": "0912"}), "proxy"),
    ("components not a list", create_body(components="Tờ khai"), "components"),
    ("empty component name", create_body(components=[""]), "components"),
    ("received in the future", create_body(received_at="2999-01-01T08:00:00+07:00"), "received_at"),
    ("received without offset", create_body(received_at="2026-01-05T08:00:00"), "received_at"),
    ("received not a time", create_body(received_at="yesterday"), "received_at"),
    ("received in year 1", create_body(received_at="0001-01-01T00:00:00+07:00"), "received_at"),
    ("unknown top-level key", {**create_body(), "priority": "high"}, ""),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in BAD_CREATES], ids=[name for name, _, _ in BAD_CREATES]
)
def test_bad_create_is_400_naming_the_field_and_writes_nothing(
    client: Client,
    runtime: NodeRuntime,
    body: Any,
    field: str,
) -> None:
    before = counts(runtime)
    response = client.post("/api/v1/dossiers", json=body)
    assert response.status_code == 400, response.text
    text = response.text
    if field:
        assert field.split(".")[-1] in text, text
    assert counts(runtime) == before
    # The daily serial was not consumed either: the next good create gets serial 0001.
    good = client.post("/api/v1/dossiers", json=create_body())
    assert good.status_code == 201
    assert good.json()["code"].endswith("-0001")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"procedure_code": "1.000894"',
        '{"a": "\xff"}'.encode("latin-1"),
    ],
    ids=["empty", "truncated", "array", "null", "unclosed", "bad-utf8"],
)
def test_malformed_json_is_400(client: Client, runtime: NodeRuntime, raw: bytes) -> None:
    before = counts(runtime)
    response = client.post(
        "/api/v1/dossiers", content=raw, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert counts(runtime) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": "teleport"}, "action"),
        ({"action": "start", "note": 5}, "note"),
        ({"action": "start", "note": "x" * 2001}, "note"),
        ({"action": "start", "colour": "red"}, "colour"),
        ({"action": "refuse"}, "note"),  # a refusal form needs its reason
    ],
)
def test_bad_transition_body_writes_nothing(
    client: Client,
    runtime: NodeRuntime,
    body: dict[str, Any],
    field: str,
) -> None:
    created = client.post("/api/v1/dossiers", json=create_body(channel="online")).json()
    before = counts(runtime)
    response = client.post(f"/api/v1/dossiers/{created['id']}/transitions", json=body)
    assert response.status_code == 400, response.text
    assert field in response.text
    assert counts(runtime) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=11", "status"),
        ("limit=0", "limit"),
        ("from=05-02-2027", "from"),
        ("to=2027-02-05T08:00:00", "to"),
        ("to=9999-12-31", "to"),  # the day after does not exist
        ("from=0001-01-01T00:00:00%2B07:00", "from"),  # before year 1 in UTC
        ("overdue=maybe", "overdue"),
    ],
)
def test_bad_list_query_is_400(client: Client, query: str, field: str) -> None:
    response = client.get(f"/api/v1/dossiers?{query}")
    assert response.status_code == 400, response.text
    assert field in response.text


def test_late_paper_dossier_keeps_its_reception_time(client: Client) -> None:
    response = client.post(
        "/api/v1/dossiers", json=create_body(received_at="2026-04-20T09:00:00+07:00")
    )
    assert response.status_code == 201, response.text
    dossier = response.json()
    assert dossier["received_at"] == "2026-04-20T09:00:00+07:00"
    assert dossier["code"].split("-")[1] == "260420"  # the code carries the reception day
    # 5 working days: 21-24 Apr, then Mon 27 Apr is the Hùng Kings day off -> Tue 28 Apr.
    assert dossier["due_at"] == "2026-04-28T17:00:00+07:00"
    assert dossier["overdue"] is True


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "from=1899-12-31"])
def test_stats_out_of_range_dates_are_400(client: Client, query: str) -> None:
    response = client.get(f"/api/v1/stats?{query}")
    assert response.status_code == 400, response.text
    assert "between the years 1900 and 2999" in response.json()["detail"]


@pytest.mark.parametrize("raw", [b'{"action":', b"{", b'{"procedure_code": "1.000894"'])
def test_a_body_that_is_not_json_says_so(client: Client, raw: bytes) -> None:
    response = client.post(
        "/api/v1/dossiers", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("the request body is not valid JSON: ")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"procedure_code": "1.000894", "channel": "in_person"}, "applicant"),
        (create_body(applicant={"full_name": 5}), "applicant.full_name"),
        (create_body(applicant={"phone": "0912"}), "applicant.full_name"),
    ],
)
def test_validation_errors_name_the_field_like_every_400(
    client: Client, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/dossiers", json=body)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["extra"][0]["message"]  # Litestar's own detail stays


def test_other_client_errors_keep_their_status_and_headers(client: Client) -> None:
    assert client.get("/api/v1/nowhere").status_code == 404
    response = client.delete("/api/v1/dossiers")
    assert response.status_code == 405 and "allow" in response.headers
