"""Keyboard and print in real Chromium: every form control has a label (here the staff pages;
the log-in form in test_browser_session, a scan's page in test_browser_scans); reception is
filled and saved with the keyboard alone (Tab, typing, Space, Enter); the list and the dossier
page print without the menu."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from rules.actor import Role
from tests.support.browser import StaffBrowserFactory, unlabelled_controls

PAGES = ["/dossiers", "/dossiers/new", "/scans", "/sync", "/indicators", "/admin"]
PAGES += ["/admin/accounts"]


def _tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Tab forward until ``selector`` has the focus: it can be reached by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached by {limit} presses of Tab")


def _printed_without_menu(page: Page, content: str) -> None:
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("nav[aria-label='Điều hướng']")).to_be_hidden()
    expect(page.locator(content).first).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator("header.topbar")).to_be_visible()


def test_reception_by_keyboard_alone_and_the_pages_print_without_the_menu(
    staff_browser: StaffBrowserFactory,
) -> None:
    page = staff_browser(Role.RECEPTION, Role.PROCESSING, Role.LEADER, Role.ADMIN)
    for path in PAGES:
        page.goto(path)
        assert unlabelled_controls(page) == [], path
    page.evaluate("document.body.append(document.createElement('input'))")
    assert unlabelled_controls(page) == ["<input>"]  # the check does see a bare control

    page.goto("/dossiers/new")
    _tab_to(page, "#f-procedure_q")
    page.keyboard.type("1.000894")
    choices = page.locator("input[name=procedure_code]")
    expect(choices).to_have_count(1)  # htmx narrowed the choices while typing
    choice = page.get_by_role("radio", name="1.000894 · Đăng ký kết hôn")
    _tab_to(page, "input[name=procedure_code]")
    page.keyboard.press("Space")
    expect(choice).to_be_checked()
    expect(page.locator("#appointment-preview")).to_contain_text("Ngày hẹn trả kết quả")
    _tab_to(page, "[id='f-applicant.full_name']")
    page.keyboard.type("Đỗ Thị Lan")
    _tab_to(page, "button[value=save]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dossiers/*?received=1")
    expect(page.locator("dl.facts")).to_contain_text("Đỗ Thị Lan")
    assert unlabelled_controls(page) == []  # the actions' and the upload's fields
    _printed_without_menu(page, "dl.facts")

    page.goto("/dossiers")
    _printed_without_menu(page, "table")
    expect(page.locator("td", has_text="Đỗ Thị Lan")).to_be_visible()  # printed
