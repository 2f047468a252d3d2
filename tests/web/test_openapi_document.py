"""The node's OpenAPI document states the errors and bounds the server enforces."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from web.json_api.params import MAX_OFFSET

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
    expected = {
        ("get", "/api/v1/dossiers/{dossier_id}"): {"400", "404", "500"},
        ("post", "/api/v1/dossiers"): {"400", "413", "500"},
        ("post", "/api/v1/dossiers/{dossier_id}/transitions"): {"400", "404", "409", "413", "500"},
        ("post", "/api/v1/dossiers/{dossier_id}/documents"): {"400", "404", "413", "500"},
        ("post", "/api/v1/ingest/unfiled/{part_id}/assign"): {"400", "404", "409", "413", "500"},
        ("post", "/api/v1/ingest/unfiled/{part_id}/reject"): {"400", "404", "409", "413", "500"},
        ("post", "/api/v1/ingest/quarantine/{quarantine_id}/retry"): {"400", "404", "500"},
    }
    for (method, path), statuses in expected.items():
        responses = paths[path][method]["responses"]
        errors = {s for s in responses if s.startswith(("4", "5"))}
        assert errors == statuses, (method, path)
        for status in statuses:
            body = responses[status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorOut"}, (path, status)


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
