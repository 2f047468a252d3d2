"""Form 01 printed by real Chromium to an A4 PDF: one page, and its QR code reads back as
the slip ``HS1:{code}:{crc}``, directly and through scanner ingest's cover-sheet reader."""

from __future__ import annotations

from pathlib import Path

import httpx
import pypdfium2 as pdfium
import zxingcpp

from rules.actor import Role
from scanner_ingest.pdf_ops import page_slips
from scanner_ingest.slip import slip_payload
from tests.node.helpers import create_body
from tests.support.browser import StaffBrowserFactory
from tests.support.live_node import LiveNode

A4_POINTS = (595.0, 842.0)  # 210 x 297 mm at 72 points an inch


def test_form_01_prints_to_one_a4_page_whose_qr_reads_back(
    staff_browser: StaffBrowserFactory, page_node: LiveNode, tmp_path: Path
) -> None:
    body = create_body(components=[f"Giấy tờ số {i}: bản sao có chứng thực" for i in range(1, 9)])
    created = httpx.post(f"{page_node.url}/api/v1/dossiers", json=body, headers=page_node.headers)
    assert created.status_code == 201, created.text
    dossier = created.json()
    page = staff_browser(Role.RECEPTION)
    page.goto(f"/dossiers/{dossier['id']}/forms/01")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
    )
    assert page.get_by_role("button", name="In phiếu").is_visible()
    pdf_path = tmp_path / "form01.pdf"
    page.pdf(path=str(pdf_path), format="A4", prefer_css_page_size=True)

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        assert len(pdf) == 1
        width, height = pdf[0].get_size()
        assert (round(width), round(height)) == A4_POINTS
        text = pdf[0].get_textpage().get_text_range()
        squeezed = "".join(text.split())  # a long code wraps; the PIN is letter-spaced
        assert dossier["code"] in squeezed and dossier["lookup_pin"] in squeezed
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text  # diacritics survive the print
        assert "In phiếu" not in text  # the screen toolbar does not print
        image = pdf[0].render(scale=200 / 72, grayscale=True).to_pil()
    finally:
        pdf.close()
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    # The slip, and the phone's lookup on this node (no city address is configured).
    lookup = f"{page_node.url}/lookup?code={dossier['code']}&pin={dossier['lookup_pin']}"
    assert sorted(b.text for b in found) == sorted([slip_payload(dossier["code"]), lookup])

    # The slip works as a scan's cover sheet: ingest's reader files it under the dossier
    # (and ignores the lookup's URL, not a code of its own).
    (slip,) = page_slips(str(pdf_path), dpi=150)
    assert slip.codes == (dossier["code"],) and slip.foreign == 1
