"""The dossier list in real Chromium: the page renders and searches (its print without the
menu: test_browser_keyboard)."""

from __future__ import annotations

import httpx

from rules.actor import Role
from tests.node.helpers import create_body
from tests.support.browser import StaffBrowserFactory
from tests.support.live_node import LiveNode


def test_staff_search_the_list_in_chromium(
    staff_browser: StaffBrowserFactory, page_node: LiveNode
) -> None:
    page = staff_browser(Role.RECEPTION)
    created = httpx.post(
        f"{page_node.url}/api/v1/dossiers", json=create_body(), headers=page_node.headers
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]

    page.goto("/")
    assert page.url.endswith("/dossiers")
    page.get_by_role("searchbox").fill("nguyen van duc")
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url("**/dossiers?q=*")
    assert page.get_by_role("link", name=code).is_visible()
    assert page.evaluate("typeof htmx") == "object"  # the vendored script loaded
