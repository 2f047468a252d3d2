"""In Chromium against a live ``motcua central serve``: a commune-scoped viewer cannot see
another commune's dossiers on the pages, in the CSV or through the API (issue 12)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from central.runtime import open_central
from cli.central_cmd import initialise
from rules.actor import Role
from tests.cli.test_central_cmd import LiveCentral
from tests.support.accounts import PASSWORD
from tests.support.city_client import city_token, make_city_user
from tests.support.mosquitto import Mosquitto
from tests.support.wait import wait_until
from tests.web.city_pages.city_seed import AN_BINH, HOA_BINH, Seeded, seed

VIEWER = "xem-an-binh"


@pytest.fixture
def city(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[LiveCentral, Seeded]]:
    data_dir = tmp_path / "city"
    initialise(data_dir, f"mqtt://{mosquitto.host}:{mosquitto.port}")
    runtime = open_central(data_dir)
    try:
        seeded = seed(runtime)
        make_city_user(runtime, VIEWER, Role.COMMUNE_VIEWER, AN_BINH)
        token = city_token(runtime, "thanh-pho", Role.ADMIN)
    finally:
        runtime.close()
    live = LiveCentral(data_dir, token)
    try:
        wait_until(live.ready, timeout=60, interval=0.2, what="central serve to subscribe")
        yield live, seeded
    finally:
        live.stop()


def test_a_commune_viewer_cannot_see_another_commune_page_api_or_export(
    chromium: Browser, city: tuple[LiveCentral, Seeded]
) -> None:
    live, seeded = city
    context = chromium.new_context(base_url=live.url, locale="vi-VN")
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto("/login")
        page.locator("#f-username").fill(VIEWER)
        page.locator("#f-password").fill(PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url("**/board")
        page.goto("/dossiers")
        listed = page.locator("table tbody tr")
        assert listed.count() == 2
        assert page.locator("table").inner_text().count(AN_BINH) == 2
        assert HOA_BINH not in page.content() and "Trần Thị Lan" not in page.content()
        # Its own dossier opens; the other commune's is the page a missing one gets.
        page.locator(f"a[href='/dossiers/{seeded.marriage}']").click()
        page.wait_for_url(f"**/dossiers/{seeded.marriage}")
        assert "Nguyễn Văn Đức" in page.content()
        other = page.goto(f"/dossiers/{seeded.overdue}")
        assert other is not None and other.status == 404
        assert "Trần Thị Lan" not in page.content()
        # The CSV, as the page's link downloads it, and the same with the other node asked.
        response = context.request.get("/dossiers.csv")
        assert response.status == 200
        table = list(csv.reader(io.StringIO(response.text().lstrip("\ufeff"))))
        assert {row[0] for row in table[1:]} == {AN_BINH} and len(table) == 3
        assert context.request.get(f"/dossiers.csv?node={HOA_BINH}").status == 404
        # The API with the same session.
        assert context.request.get(f"/api/v1/dossiers/{seeded.overdue}").status == 404
        found = context.request.get("/api/v1/dossiers").json()
        assert {item["node_id"] for item in found["items"]} == {AN_BINH}
        # The administrator's API sees both: the refusals above are the scope, not absence.
        every = live.get("/api/v1/dossiers")
        assert {item["node_id"] for item in every["items"]} == {AN_BINH, HOA_BINH}
    finally:
        context.close()
