"""The city's page frame: log-in, the home, the menu by role, the brand, the log-out."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from central.runtime import CentralRuntime
from rules.actor import Role
from tests.support.accounts import PASSWORD
from tests.support.city_client import CityClientFactory, make_city_user
from tests.support.staff_client import form_token
from web.city_api.app import create_central_app

NODE = "xa-an-binh"


def test_a_viewer_logs_in_and_lands_on_the_board_in_the_city_frame(
    sqlite_runtime: CentralRuntime,
) -> None:
    make_city_user(sqlite_runtime, "xem", Role.CITY_VIEWER)
    with TestClient(app=create_central_app(sqlite_runtime)) as browser:
        first = browser.get("/", follow_redirects=False)
        assert (first.status_code, first.headers["location"]) == (303, "/login?next=%2F")
        login = browser.get("/login")
        assert login.status_code == 200 and "Trung tâm dữ liệu thành phố" in login.text
        done = browser.post(
            "/login", data={"username": "xem", "password": PASSWORD}, follow_redirects=False
        )
        assert (done.status_code, done.headers["location"]) == (303, "/")
        home = browser.get("/", follow_redirects=False)
        assert (home.status_code, home.headers["location"]) == (303, "/board")
        board = browser.get("/board")
        assert board.status_code == 200
        html = board.text
        assert '<span class="brand">Trung tâm dữ liệu thành phố</span>' in html
        assert 'href="/board" aria-current="page"' in html
        assert 'href="/dossiers"' in html and 'href="/indicators"' in html
        assert 'href="/admin/accounts"' not in html  # the administrator's only
        assert "/static/app.css" in html and browser.get("/static/app.css").status_code == 200
        logout = browser.post(
            "/logout", data={"_csrf_token": form_token(html)}, follow_redirects=False
        )
        assert (logout.status_code, logout.headers["location"]) == (303, "/login")
        assert browser.get("/board", follow_redirects=False).status_code == 303


def test_the_administrator_sees_the_accounts_entry(city_client: CityClientFactory) -> None:
    admin = city_client(Role.ADMIN)
    assert 'href="/admin/accounts"' in admin.get("/board").text


def test_a_commune_viewer_is_told_its_commune(city_client: CityClientFactory) -> None:
    html = city_client(Role.COMMUNE_VIEWER, node=NODE).get("/board").text
    assert f"<strong>{NODE}</strong>" in html


@pytest.mark.parametrize("lang", ["en"])
def test_the_frame_speaks_the_users_language(city_client: CityClientFactory, lang: str) -> None:
    viewer = city_client(Role.CITY_VIEWER)
    chosen = viewer.post("/account/language", data={"lang": lang, "next": "/board"})
    assert chosen.status_code == 200
    assert '<span class="brand">City data centre</span>' in chosen.text
    assert ">Communes board<" in chosen.text
