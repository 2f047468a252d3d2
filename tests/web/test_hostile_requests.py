"""Hostile or absurd requests get a 400 that names what was wrong, never a 500; a real
defect is a 500 whose request id leads to its traceback in the log."""

from __future__ import annotations

import logging

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from node import dossier_store
from tests.node.helpers import create
from web.json_api.params import MAX_OFFSET

Client = TestClient[Litestar]

PAGED = ["/api/v1/dossiers", "/api/v1/ingest/unfiled"]


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("offset", "4896568060221307486208"),  # past SQLite's integer range
        ("offset", str(2**63)),
        ("offset", str(MAX_OFFSET + 1)),
        ("offset", "-1"),
        ("limit", "0"),
        ("limit", "501"),
        ("limit", str(2**70)),
    ],
)
def test_paging_out_of_range_is_a_400_naming_the_field(
    client: Client, path: str, name: str, value: str
) -> None:
    response = client.get(path, params={name: value})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == name


@pytest.mark.parametrize("path", PAGED)
def test_the_largest_offset_is_an_empty_page(client: Client, path: str) -> None:
    response = client.get(path, params={"offset": str(MAX_OFFSET)})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


@pytest.mark.parametrize("q", ["\x00", "Nguyễn\x00", "\x1b[2J", "\x7f", "\x85"])
def test_control_characters_in_a_search_are_refused(client: Client, q: str) -> None:
    create(client)
    assert client.get("/api/v1/dossiers").json()["total"] == 1
    response = client.get("/api/v1/dossiers", params={"q": q})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "q"


def test_a_search_still_finds_by_folded_name(client: Client) -> None:
    create(client)
    found = client.get("/api/v1/dossiers", params={"q": "nguyen van duc"}).json()
    assert found["total"] == 1
    assert client.get("/api/v1/dossiers", params={"q": "tran"}).json()["total"] == 0


def test_control_characters_in_an_id_are_refused(client: Client) -> None:
    response = client.get("/api/v1/dossiers/a%00b")
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "dossier_id"


def test_json_nested_1000_deep_is_a_400(client: Client) -> None:
    body = b"[" * 1000 + b"]" * 1000
    response = client.post(
        "/api/v1/dossiers", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["detail"]


def test_a_json_body_over_the_limit_is_a_413_with_the_error_body(client: Client) -> None:
    body = b'{"note": "' + b"x" * 11_000_000 + b'"}'
    response = client.post(
        "/api/v1/ingest/unfiled/x/reject",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["status_code"] == 413


def _parts(count: int, boundary: str = "b0undary") -> tuple[bytes, dict[str, str]]:
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n'
        for i in range(count)
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    return f"{body}--{boundary}--\r\n".encode(), headers


def test_a_multipart_body_with_more_than_16_parts_is_a_400(client: Client) -> None:
    dossier = create(client)
    body, headers = _parts(17)
    response = client.post(
        f"/api/v1/dossiers/{dossier['id']}/documents", content=body, headers=headers
    )
    assert response.status_code == 400, response.text
    assert "more than 16 parts" in response.json()["detail"]


def test_an_unexpected_error_is_logged_with_the_request_id_the_500_carries(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> object:
        raise RuntimeError("a defect of ours")

    monkeypatch.setattr(dossier_store, "query", broken)
    with caplog.at_level(logging.ERROR, logger="web.json_api.errors"):
        response = client.get("/api/v1/dossiers")
    assert response.status_code == 500
    request_id = response.json()["request_id"]
    assert response.headers["x-request-id"] == request_id
    assert "a defect of ours" not in response.text  # the traceback stays in the log
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info is not None and "a defect of ours" in str(record.exc_info[1])


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/dossiers", "GET, OPTIONS, POST"),
        ("/api/v1/dossiers/x/transitions", "OPTIONS, POST"),
        ("/api/v1/ingest/status", "GET, OPTIONS"),
    ],
)
def test_options_lists_every_method_of_the_path(client: Client, path: str, methods: str) -> None:
    response = client.options(path)
    assert response.status_code == 204
    assert response.headers["allow"] == methods
