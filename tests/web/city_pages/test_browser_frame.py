"""In real Chromium against a live ``motcua central serve``: a city viewer logs in through
the form and sees the city's frame; a commune-viewer is told its commune; log-out ends it."""

from __future__ import annotations

from playwright.sync_api import expect

from rules.actor import Role
from tests.support.browser import CityBrowserFactory, unlabelled_controls


def test_a_city_viewer_logs_in_and_sees_the_frame(city_browser: CityBrowserFactory) -> None:
    page = city_browser(Role.CITY_VIEWER, user="xemthanhpho")
    expect(page.locator(".brand")).to_have_text("Trung tâm dữ liệu thành phố")
    nav = page.get_by_role("navigation", name="Điều hướng")
    expect(nav.get_by_role("link")).to_have_text(["Bảng xã/phường", "Hồ sơ", "Chỉ số"])
    expect(nav.get_by_role("link", name="Bảng xã/phường")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bảng xã/phường")
    expect(page.locator(".user")).to_have_text("xemthanhpho")
    assert unlabelled_controls(page) == []
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")
    page.goto("/board")
    page.wait_for_url("**/login?next=%2Fboard")


def test_the_administrator_has_the_accounts_page(city_browser: CityBrowserFactory) -> None:
    page = city_browser(Role.ADMIN, user="thanhpho")
    page.get_by_role("link", name="Tài khoản").click()
    page.wait_for_url("**/admin/accounts")
    expect(page.get_by_label("Xã, phường (mã nút)")).to_be_visible()
    expect(page.get_by_label("Xem một xã, phường")).to_be_visible()
