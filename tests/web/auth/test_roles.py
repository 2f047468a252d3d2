"""Roles are enforced by the services, so pages and API alike: a reception officer cannot
resolve, refuse or manage accounts; a path parameter cannot climb out of its place."""

from __future__ import annotations

import pytest

from accounts import users
from node.runtime import NodeRuntime
from rules.actor import Role
from tests.node.helpers import act, counts, create
from tests.support.accounts import api_client
from tests.support.staff_client import StaffClientFactory, form_token


@pytest.mark.parametrize(
    ("action", "extra"), [("resolve", {}), ("refuse", {"note": "Thiếu giấy tờ"})]
)
def test_reception_cannot_resolve_or_refuse(
    runtime: NodeRuntime, action: str, extra: dict[str, str]
) -> None:
    with api_client(runtime, "tiepnhan", Role.RECEPTION) as reception:
        dossier = create(reception)
        with api_client(runtime, "chuyenvien", Role.PROCESSING) as processing:
            assert act(processing, dossier["id"], "start").status_code == 201
        before = counts(runtime)
        refused = act(reception, dossier["id"], action, **extra)
        assert refused.status_code == 403, refused.text
        assert "tiepnhan" in refused.json()["detail"] and "leader" in refused.json()["detail"]
        assert counts(runtime) == before
    with api_client(runtime, "lanhdao", Role.LEADER) as leader:
        assert act(leader, dossier["id"], action, **extra).status_code == 201


def test_reception_cannot_manage_accounts_by_page_or_api(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    page_user = staff_client(Role.RECEPTION, user="tiepnhan", csrf_header=False)
    assert page_user.get("/admin/accounts").status_code == 403
    token = form_token(page_user.get("/dossiers").text)
    tried = page_user.post(
        "/admin/accounts",
        data={"_csrf_token": token, "username": "moi", "roles": "admin", "password": "x" * 12},
    )
    assert tried.status_code == 403, tried.text
    disabled = page_user.post("/admin/accounts/tiepnhan/disable", data={"_csrf_token": token})
    assert disabled.status_code == 403
    with api_client(runtime, "tn2", Role.RECEPTION) as script:
        assert script.get("/api/v1/users").status_code == 403
        body = {"user": "moi", "roles": ["admin"], "password": "x" * 12}
        assert script.post("/api/v1/users", json=body).status_code == 403
    assert users.find(runtime.db.read(), "moi") is None
    assert users.find(runtime.db.read(), "tiepnhan").disabled is False  # type: ignore[union-attr]


def test_an_administrator_manages_accounts_on_the_page(
    runtime: NodeRuntime, staff_client: StaffClientFactory
) -> None:
    admin = staff_client(Role.ADMIN, user="quantri", csrf_header=False)
    token = form_token(admin.get("/admin/accounts").text)
    short = admin.post(
        "/admin/accounts",
        data={
            "_csrf_token": token,
            "username": "Nguyen.An",
            "roles": "reception",
            "display_name": "Nguyễn An",
            "password": "ngan",
        },
    )
    assert short.status_code == 400
    assert "at least 10 characters" in short.text and 'value="Nguyen.An"' in short.text
    added = admin.post(
        "/admin/accounts",
        data={
            "_csrf_token": token,
            "username": "Nguyen.An",
            "roles": ["reception", "processing"],
            "display_name": "Nguyễn An",
            "password": "mot-mat-khau-dai",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    user = users.find(runtime.db.read(), "nguyen.an")
    assert user is not None and user.roles == [Role.PROCESSING, Role.RECEPTION]
    self_disable = admin.post("/admin/accounts/quantri/disable", data={"_csrf_token": token})
    assert self_disable.status_code == 400 and "your own account" in self_disable.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dossiers/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/documents/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/ingest/unfiled/..%2F..%2Fetc%2Fpasswd",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/../../../../etc/passwd",
    ],
)
def test_a_path_parameter_cannot_climb_out(runtime: NodeRuntime, path: str) -> None:
    with api_client(runtime) as client:
        response = client.get(path)
        assert response.status_code in (400, 404), (path, response.status_code)
        assert "root:" not in response.text


def test_a_path_parameter_cannot_climb_out_on_a_page_form(
    staff_client: StaffClientFactory,
) -> None:
    admin = staff_client(Role.ADMIN, user="quantri")
    response = admin.post("/admin/accounts/..%2F..%2Fetc%2Fpasswd/disable")
    assert response.status_code in (400, 404)
