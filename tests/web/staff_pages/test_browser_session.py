"""Logging in and out, and the language, in real Chromium against a live node: a wrong
password is a Vietnamese message that keeps the user name; log-out ends the session on the
server (its cookie, replayed, is refused); the language chosen is the user's, kept at the
next log-in."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, expect

from node.runtime import open_node
from rules.actor import Role
from tests.support.accounts import make_user
from tests.support.browser import log_in
from tests.support.live_node import LiveNode

USER = "tiepnhan"


def _context(chromium: Browser, node: LiveNode) -> BrowserContext:
    rt = open_node(node.data_dir, check=False)
    try:
        make_user(rt.db, USER, Role.RECEPTION, display_name="Trần Văn Tiếp")
    finally:
        rt.close()
    context = chromium.new_context(base_url=node.url, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15_000)
    return context


def test_log_in_and_out_and_the_old_cookie_is_refused(
    chromium: Browser, page_node: LiveNode
) -> None:
    context = _context(chromium, page_node)
    page = context.new_page()
    page.goto("/dossiers")
    page.wait_for_url("**/login?next=%2Fdossiers")
    page.get_by_label("Tên đăng nhập").fill(USER)
    page.get_by_label("Mật khẩu").fill("khong-phai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value(USER)  # kept
    expect(page.get_by_label("Mật khẩu")).to_have_value("")  # never echoed back
    assert not [c for c in context.cookies() if c["name"] == "motcua_session"]

    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.get_by_label("Mật khẩu").press("Enter")
    page.wait_for_url("**/dossiers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ")
    expect(page.locator(".topbar .user")).to_have_text("Trần Văn Tiếp")
    (cookie,) = [c for c in context.cookies() if c["name"] == "motcua_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")
    page.goto("/dossiers")
    page.wait_for_url("**/login?next=*")  # this browser is out

    # Someone who copied the cookie before the log-out cannot use it either.
    replay = chromium.new_context(base_url=page_node.url)
    try:
        replay.add_cookies(
            [{"name": cookie["name"], "value": cookie["value"], "url": page_node.url}]
        )
        assert replay.request.get("/api/v1/dossiers").status == 401
        stolen = replay.new_page()
        stolen.goto("/dossiers")
        assert "/login?next=" in stolen.url
    finally:
        replay.close()
        context.close()


def test_the_language_is_the_users_and_kept_at_the_next_log_in(
    chromium: Browser, page_node: LiveNode
) -> None:
    context = _context(chromium, page_node)
    try:
        page = context.new_page()
        log_in(page, USER)
        expect(page.locator("html")).to_have_attribute("lang", "vi")
        page.get_by_role("button", name="English").click()
        page.wait_for_url("**/dossiers")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers")
        expect(page.get_by_role("link", name="Reception", exact=True)).to_be_visible()
        page.goto("/dossiers/new")
        expect(page.get_by_role("button", name="Save and print the receipt")).to_be_visible()

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url("**/login")
        log_in(page, USER)  # a new session: the language came from the account
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers")

        page.get_by_role("button", name="Tiếng Việt").click()
        page.wait_for_url("**/dossiers")
        expect(page.locator("html")).to_have_attribute("lang", "vi")
        expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ")
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    finally:
        context.close()
