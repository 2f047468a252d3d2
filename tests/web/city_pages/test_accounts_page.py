"""The city's accounts page: the administrator's only, the city's roles and a
commune-viewer's node; wrong roles for the site and a missing or needless node are refused
with the field named and nothing written; every form needs the session's CSRF token."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from accounts import users
from central.runtime import CentralRuntime
from rules.actor import Role
from tests.support.city_client import CityClientFactory
from tests.support.staff_client import form_token

PAGE = "/admin/accounts"
NODE = "xa-an-binh"


def _names(runtime: CentralRuntime) -> list[str]:
    return [str(r[0]) for r in runtime.accounts_db.read().execute("SELECT id FROM users")]


def _add(client: TestClient[Litestar], **fields: Any) -> Any:
    token = form_token(client.get(PAGE).text)
    form = {"password": "mot-mat-khau-dai", "language": "vi", **fields, "_csrf_token": token}
    return client.post(PAGE, data=form, follow_redirects=False)


@pytest.fixture
def admin(city_client: CityClientFactory) -> TestClient[Litestar]:
    return city_client(Role.ADMIN, user="thanhpho", csrf_header=False)


def test_the_page_offers_the_citys_roles_and_the_node_field(
    admin: TestClient[Litestar],
) -> None:
    html = admin.get(PAGE).text
    for role in ("admin", "viewer", "commune-viewer"):
        assert f'name="roles" value="{role}"' in html
    for role in ("reception", "processing", "leader"):
        assert f'value="{role}"' not in html
    assert 'name="node_id"' in html
    assert '<span class="brand">Trung tâm dữ liệu thành phố</span>' in html
    assert 'href="/admin/accounts" aria-current="page"' in html


def test_the_administrator_adds_a_commune_viewer_with_its_node(
    admin: TestClient[Litestar], runtime: CentralRuntime
) -> None:
    added = _add(admin, username="xem-an-binh", roles="commune-viewer", node_id=NODE)
    assert (added.status_code, added.headers["location"]) == (303, f"{PAGE}?done=added")
    user = users.find(runtime.accounts_db.read(), "xem-an-binh")
    assert user is not None and user.roles == [Role.COMMUNE_VIEWER] and user.node_id == NODE
    assert f"<td>{NODE}</td>" in admin.get(PAGE).text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"roles": "commune-viewer"}, "node_id", "a commune-viewer needs the node it may see"),
        ({"roles": "viewer", "node_id": NODE}, "node_id", "only a commune-viewer account"),
        ({"roles": "reception"}, "roles", "reception is not a role of an account at the city"),
        ({"roles": ["commune-viewer", "viewer"], "node_id": NODE}, "roles", "no other role"),
        ({"roles": "commune-viewer", "node_id": "../etc"}, "node_id", "is not a node id"),
    ],
)
def test_wrong_roles_or_node_are_refused_naming_the_field(
    admin: TestClient[Litestar],
    runtime: CentralRuntime,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = _names(runtime)
    refused = _add(admin, username="xem", **fields)
    assert refused.status_code == 400
    assert message in refused.text and f'href="#f-{field}"' in refused.text
    assert 'value="xem"' in refused.text  # what was typed is kept
    assert _names(runtime) == before


def test_a_viewer_is_refused_the_page_and_its_forms(
    city_client: CityClientFactory, runtime: CentralRuntime
) -> None:
    for role, node in ((Role.CITY_VIEWER, None), (Role.COMMUNE_VIEWER, NODE)):
        viewer = city_client(role, node=node)
        assert viewer.get(PAGE).status_code == 403
        before = _names(runtime)
        refused = viewer.post(PAGE, data={"username": "x", "roles": "admin", "password": "p" * 12})
        assert refused.status_code == 403
        assert viewer.post(f"{PAGE}/thanhpho/disable").status_code == 403
        assert _names(runtime) == before


def test_every_city_form_needs_the_sessions_csrf_token(
    admin: TestClient[Litestar], runtime: CentralRuntime
) -> None:
    before = _names(runtime)
    posts = [
        (PAGE, {"username": "xem", "roles": "viewer", "password": "mot-mat-khau-dai"}),
        (f"{PAGE}/thanhpho/password", {"password": "mat-khau-moi-dai"}),
        (f"{PAGE}/thanhpho/unlock", {}),
        ("/account/language", {"lang": "en"}),
        ("/logout", {}),
    ]
    for path, data in posts:
        for token in ("", "not-the-token"):
            refused = admin.post(path, data={**data, "_csrf_token": token})
            assert refused.status_code == 403, path
            assert "CSRF" in refused.text
    assert _names(runtime) == before
    assert admin.get("/board").status_code == 200  # still logged in, still Vietnamese
    assert 'lang="vi"' in admin.get("/board").text


def test_a_cross_site_log_in_is_refused(runtime: CentralRuntime) -> None:
    from web.city_api.app import create_central_app

    with TestClient(app=create_central_app(runtime)) as browser:
        refused = browser.post(
            "/login",
            data={"username": "thanhpho", "password": "x"},
            headers={"Origin": "https://evil.example"},
        )
        assert refused.status_code == 403
