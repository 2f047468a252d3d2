"""In real Chromium, under the pages' CSP: htmx still searches and fills the reception form,
the print button still prints, the dossier page frames its form and documents, nothing is
refused by the policy (no violation reported), and a hostile applicant name runs nothing."""

from __future__ import annotations

import httpx
from playwright.sync_api import ConsoleMessage, Dialog, expect

from rules.actor import Role
from tests.node.helpers import create_body
from tests.support.browser import StaffBrowserFactory
from tests.support.live_node import LiveNode

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_pages_work_under_their_csp_and_run_nothing_hostile(
    staff_browser: StaffBrowserFactory, page_node: LiveNode
) -> None:
    body = create_body(applicant={"full_name": HOSTILE, "address": HOSTILE})
    made = httpx.post(f"{page_node.url}/api/v1/dossiers", json=body, headers=page_node.headers)
    assert made.status_code == 201, made.text
    dossier_id = made.json()["id"]
    attached = httpx.post(
        f"{page_node.url}/api/v1/dossiers/{dossier_id}/documents",
        files={"file": (f"{HOSTILE}.html", b"<script>alert(3)</script>", "text/html")},
        headers=page_node.headers,
    )
    assert attached.status_code == 201, attached.text
    page = staff_browser(Role.RECEPTION)
    refused: list[str] = []
    dialogs: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            refused.append(message.text)

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)

    page.goto("/dossiers/new")
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("dang ky ket hon")
    page.get_by_role("radio", name="1.000894 · Đăng ký kết hôn").check()  # htmx, twice
    expect(page.locator("#appointment-preview")).to_contain_text("Ngày hẹn trả kết quả")

    page.goto(f"/dossiers/{dossier_id}")
    expect(page.locator("dl.facts")).to_contain_text(HOSTILE)  # shown, as text
    page.goto("/dossiers")
    expect(page.locator("table")).to_contain_text(HOSTILE)

    page.goto(f"/dossiers/{dossier_id}/forms/01")
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    assert page.evaluate("window.printed") is None
    page.get_by_role("button", name="In phiếu này").click()
    assert page.evaluate("window.printed") == 1  # the handler from print.js, not onclick
    assert page.locator("svg.qr").first.bounding_box()["width"] > 50  # type: ignore[index]

    assert dialogs == []
    assert refused == []
