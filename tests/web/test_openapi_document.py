"""The node's OpenAPI document states the errors and bounds the server enforces."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from web.json_api.params import MAX_OFFSET
from web.json_api.responses import writes

Client = TestClient[Litestar]


def document(client: Client) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def parameter(op: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [p for p in op["parameters"] if p["name"] == name]
    schema: dict[str, Any] = found["schema"]
    return schema


def test_every_operation_documents_its_errors_with_the_error_body(client: Client) -> None:
    paths = document(client)["paths"]
    # 401: behind the log-in door; 403: the roles or (a write by cookie) the CSRF token;
    # 503: the node's clock known off (reception and a step record a time); 507: a full disk.
    expected = {
        ("get", "/api/v1/dossiers/{dossier_id}"): {"400", "401", "403", "404", "500"},
        ("get", "/api/v1/procedures"): {"400", "401", "403", "500"},
        ("get", "/api/v1/sync/status"): {"401", "403", "500"},
        ("post", "/api/v1/dossiers"): {"400", "401", "403", "413", "500", "503", "507"},
        ("post", "/api/v1/dossiers/{dossier_id}/transitions"): {
            *("400", "401", "403", "404", "409", "413", "500", "503", "507")
        },
        ("post", "/api/v1/dossiers/{dossier_id}/documents"): {
            *("400", "401", "403", "404", "413", "500", "507")
        },
        ("post", "/api/v1/ingest/unfiled/{part_id}/assign"): {
            *("400", "401", "403", "404", "409", "413", "500", "507")
        },
        ("post", "/api/v1/ingest/unfiled/{part_id}/reject"): {
            *("400", "401", "403", "404", "409", "413", "500", "507")
        },
        ("post", "/api/v1/ingest/quarantine/{quarantine_id}/retry"): {
            *("400", "401", "403", "404", "500", "507")
        },
    }
    for (method, path), statuses in expected.items():
        responses = paths[path][method]["responses"]
        errors = {s for s in responses if s.startswith(("4", "5"))}
        assert errors == statuses, (method, path)
        for status in statuses:
            body = responses[status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorOut"}, (path, status)
    reception = paths["/api/v1/dossiers"]["post"]["responses"]["503"]["description"]
    assert "clock" in reception and "city" not in reception


def test_the_health_check_documents_its_own_503_body(client: Client) -> None:
    health = document(client)["paths"]["/healthz"]["get"]
    assert health["security"] == []
    unhealthy = health["responses"]["503"]
    assert unhealthy["content"]["application/json"]["schema"]["type"] == "object"
    assert "`reasons`" in unhealthy["description"]
    answered = client.get("/healthz").json()
    assert {"status", "reasons"} <= set(answered)


def test_bounds_are_in_the_document(client: Client) -> None:
    doc = document(client)
    search = doc["paths"]["/api/v1/dossiers"]["get"]
    assert parameter(search, "offset")["maximum"] == MAX_OFFSET
    assert parameter(search, "limit")["maximum"] == 500
    assert "pattern" in parameter(search, "q")
    unfiled = doc["paths"]["/api/v1/ingest/unfiled"]["get"]
    assert parameter(unfiled, "offset")["maximum"] == MAX_OFFSET
    body = doc["paths"]["/api/v1/ingest/unfiled/{part_id}/reject"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    reject = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]["note"]
    assert reject["minLength"] == 1 and reject["pattern"] == r"\S"
    upload = doc["paths"]["/api/v1/dossiers/{dossier_id}/documents"]["post"]["requestBody"]
    form = upload["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"


def test_a_blank_rejection_note_is_refused_naming_the_field(client: Client) -> None:
    response = client.post("/api/v1/ingest/unfiled/nope/reject", json={"note": "   "})
    assert response.status_code == 400
    assert response.json()["field"] == "note"


def test_a_write_cannot_list_503_for_two_causes() -> None:
    """One description per status: the city's store (503 listed) or the node's clock."""
    with pytest.raises(ValueError, match="503 means the clock"):
        writes(400, 503, clock=True)
