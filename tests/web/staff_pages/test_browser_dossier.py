"""Reception to returned result in real Chromium: the form, the appointment preview, the
dossier page's actions, and a PDF uploaded and shown inline."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from rules.actor import Role
from tests.support.browser import StaffBrowserFactory

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _take(page: Page, button: str, note: str = "") -> None:
    if note:  # its fields open first
        page.locator("summary", has_text=button).click()
    form = page.locator("form").filter(has=page.get_by_role("button", name=button))
    if note:
        form.locator("textarea").fill(note)
    form.get_by_role("button", name=button).click()
    expect(page.locator("p.notice")).to_contain_text(f"Đã thực hiện: {button}.")


def test_receive_and_carry_a_dossier_through_its_lifecycle(
    staff_browser: StaffBrowserFactory,
) -> None:
    page = staff_browser(Role.RECEPTION, Role.PROCESSING, Role.LEADER)
    page.goto("/dossiers/new")
    page.get_by_label("Tìm thủ tục theo tên hoặc mã").fill("dang ky ket hon")
    choice = page.get_by_role("radio", name="1.000894 · Đăng ký kết hôn")
    choice.check()  # htmx put it there from the accent-free search
    preview = page.locator("#appointment-preview")
    expect(preview).to_contain_text("Ngày hẹn trả kết quả")
    expected = preview.locator("strong").inner_text()
    expect(page.get_by_label("Tờ khai đăng ký kết hôn theo mẫu")).to_be_checked()
    page.get_by_label("Họ và tên").first.fill("Nguyễn Thị Hoa")
    page.get_by_role("button", name="Lưu và in giấy tiếp nhận").click()
    page.wait_for_url("**/dossiers/*?received=1")
    expect(page.locator("p.notice")).to_contain_text("Đã tiếp nhận hồ sơ")
    expect(page.locator("dl.facts")).to_contain_text(expected)
    expect(page.locator("dl.facts")).to_contain_text("Nguyễn Thị Hoa")

    _take(page, "Bắt đầu xử lý")
    _take(page, "Yêu cầu bổ sung", note="Thiếu giấy xác nhận tình trạng hôn nhân")
    _take(page, "Đã nhận bổ sung")
    _take(page, "Hoàn thành xử lý")
    _take(page, "Trả kết quả")
    expect(page.locator("h1 .status")).to_have_text("Đã trả kết quả")
    expect(page.locator(".timeline li")).to_have_count(6)

    page.locator("#f-upload-file").set_input_files(
        {"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Tải lên", exact=True).click()
    expect(page.locator("p.notice")).to_have_text("Đã tải lên tài liệu.")
    viewer = page.locator("iframe.viewer[title='ket-qua.pdf']")
    expect(viewer).to_be_visible()
    src = viewer.get_attribute("src")
    assert src and "/documents/" in src
    served = page.evaluate(
        "async (src) => { const r = await fetch(src);"
        " return [r.headers.get('content-type'), r.headers.get('x-content-type-options')]; }",
        src,
    )
    assert served == ["application/pdf", "nosniff"]
