"""The indicators and sync pages in real Chromium against a live node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from node.runtime import open_node
from rules.actor import Role
from tests.support.accounts import make_user
from tests.support.browser import StaffBrowserFactory, log_in
from tests.support.live_node import LiveNode, start_node
from tests.support.mosquitto import Mosquitto
from tests.support.replication import make_node


def test_indicators_render_their_svg(staff_browser: StaffBrowserFactory) -> None:
    page = staff_browser(Role.LEADER)
    page.goto("/indicators")
    chart = page.get_by_role("img", name="Hồ sơ tiếp nhận theo tháng")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.locator("table#months tbody tr").count() == 6  # the ratings have their own


@pytest.fixture
def synced_node(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[LiveNode]:
    """A live node replicating to the test broker (no city behind it)."""
    node_dir = make_node(tmp_path / "sync", "xa-sync", f"mqtt://{mosquitto.host}:{mosquitto.port}")
    node = start_node(node_dir)
    yield node
    node.stop()


def test_the_sync_page_follows_the_broker_stopping_and_starting(
    chromium: Browser, synced_node: LiveNode, mosquitto: Mosquitto
) -> None:
    rt = open_node(synced_node.data_dir, check=False)
    try:
        make_user(rt.db, "le-tan", Role.RECEPTION)
    finally:
        rt.close()
    context = chromium.new_context(
        base_url=synced_node.url, viewport={"width": 1366, "height": 768}
    )
    try:
        page = context.new_page()
        log_in(page, "le-tan")
        page.goto("/sync")
        state = page.locator("[data-link]")
        expect(state).to_have_attribute("data-link", "connected", timeout=20_000)
        mosquitto.stop()
        # No reload: htmx swaps the panel in place every few seconds.
        expect(state).to_have_attribute("data-link", "disconnected", timeout=30_000)
        expect(state).to_have_text("Mất kết nối với thành phố")
        mosquitto.start()
        expect(state).to_have_attribute("data-link", "connected", timeout=30_000)
        expect(state).to_have_text("Đã kết nối với thành phố")
    finally:
        context.close()
