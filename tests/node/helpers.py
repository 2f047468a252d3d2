"""Small helpers shared by the node tests: request bodies and database counts."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from node.runtime import NodeRuntime
from storage.db import scalar

Client = TestClient[Litestar]

PROCEDURE = "1.000894"  # Đăng ký kết hôn, 5 working days, in the sample catalog


def applicant(name: str = "Nguyễn Văn Đức", id_number: str = "001099012345") -> dict[str, str]:
    return {"full_name": name, "id_number": id_number, "phone": "0912345678", "address": "Thôn 1"}


def create_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "procedure_code": PROCEDURE,
        "applicant": applicant(),
        "channel": "in_person",
        "components": ["Tờ khai đăng ký kết hôn", "Giấy xác nhận tình trạng hôn nhân"],
    }
    body.update(overrides)
    return body


def create(client: Client, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/dossiers", json=create_body(**overrides))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def act(client: Client, dossier_id: str, action: str, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/dossiers/{dossier_id}/transitions", json={"action": action, **extra}
    )


def counts(rt: NodeRuntime) -> tuple[int, int, int, int]:
    """(events, dossiers, documents, blob rows): all must stay put after a refused request."""
    conn = rt.db.read()
    events, dossiers, documents, blobs = (
        int(scalar(conn, f"SELECT COUNT(*) FROM {table}"))
        for table in ("events", "dossiers", "documents", "blobs")
    )
    return events, dossiers, documents, blobs
