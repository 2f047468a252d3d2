"""The slip's QR for phones, end to end in real Chromium: decode the lookup QR printed on
form 01 (zxing-cpp, from the rendered page), open its URL in a browser that never logged in,
and see the dossier's progress, with only the applicant's initials."""

from __future__ import annotations

import io

import httpx
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser

from rules.actor import Role
from tests.node.helpers import create_body
from tests.support.browser import StaffBrowserFactory
from tests.support.live_node import LiveNode


def test_the_slip_s_qr_opens_the_lookup_with_the_result(
    staff_browser: StaffBrowserFactory, page_node: LiveNode, chromium: Browser
) -> None:
    body = create_body(applicant={"full_name": "Phạm Thị Lan", "id_number": "001099012345"})
    created = httpx.post(f"{page_node.url}/api/v1/dossiers", json=body, headers=page_node.headers)
    assert created.status_code == 201, created.text
    dossier = created.json()
    staff = staff_browser(Role.RECEPTION)
    staff.goto(f"/dossiers/{dossier['id']}/forms/01")
    phone_qr = staff.locator("figure.qr-box:not(.slip)")
    image = Image.open(io.BytesIO(phone_qr.screenshot())).convert("L")
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    (url,) = [b.text for b in found]
    assert url.startswith(f"{page_node.url}/lookup?")

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    try:
        page = phone.new_page()
        page.set_default_timeout(15_000)
        response = page.goto(url)
        assert response is not None and response.status == 200
        assert page.locator("#code").input_value() == dossier["code"]  # the form is filled
        assert page.locator("#pin").input_value() == dossier["lookup_pin"]
        assert page.locator("[data-field=status] strong").inner_text() == "Được tiếp nhận"
        assert page.locator("[data-field=applicant]").inner_text() == "P.T.L."
        text = page.locator("main").inner_text()
        assert "Phạm Thị Lan" not in text and "001099012345" not in text
        assert phone.cookies() == []  # no session, no CSRF cookie
        # A wrong PIN typed into the same form: the one refusal, said in words.
        page.locator("#pin").fill("000000" if dossier["lookup_pin"] != "000000" else "111111")
        page.get_by_role("button", name="Tra cứu").click()
        page.wait_for_url("**/lookup?*")
        assert "Không tìm thấy hồ sơ" in page.locator("#pin-error").inner_text()
    finally:
        phone.close()
