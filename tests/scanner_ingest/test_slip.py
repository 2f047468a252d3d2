from __future__ import annotations

import io
import zlib

import pytest
import zxingcpp
from PIL import Image

from scanner_ingest.slip import parse_slip, slip_payload, slip_png
from tests.scanner_ingest.filegen import CODE_A, CODE_B


def test_payload_format() -> None:
    crc = zlib.crc32(CODE_A.encode("utf-8"))
    assert slip_payload(CODE_A) == f"HS1:{CODE_A}:{crc:08X}"
    assert slip_payload(CODE_A) == "HS1:000.00.15.H42-270205-0003:06582525"


def test_round_trip() -> None:
    assert parse_slip(slip_payload(CODE_A)) == CODE_A
    assert slip_payload(CODE_B) == f"HS1:{CODE_B}:983CB086"
    assert parse_slip(f"HS1:{CODE_B}:983CB086") == CODE_B


def test_codes_are_opaque() -> None:
    for code in ("A", "HS:2027:0001", "Hồ sơ 12", "x" * 50):
        assert parse_slip(slip_payload(code)) == code


@pytest.mark.parametrize("code", ["", " A", "A ", "x" * 51, "A\nB"])
def test_payload_refuses_non_codes(code: str) -> None:
    with pytest.raises(ValueError):
        slip_payload(code)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma=" + CODE_A,
        CODE_A,
        f"HS1:{CODE_A}",
        f"HS1:{CODE_A}:",
        f"HS1:{CODE_A}:06582526",  # crc off by one
        f"HS1:{CODE_A}:06582525 ",
        f"HS1:{CODE_A.lower()}:06582525",  # crc of the upper-case code
        f"HS1:{CODE_B}:983cb086",  # lower-case hex
        f"HS1:{CODE_B}:983CB08",
        f"HS2:{CODE_A}:06582525",
        f"hs1:{CODE_A}:06582525",
        f" HS1:{CODE_A}:06582525",
        "HS1::00000000",
    ],
)
def test_parse_refuses_foreign_and_damaged(text: str) -> None:
    assert parse_slip(text) is None


@pytest.mark.parametrize("dpi", [150, 300])
def test_png_decodes_back_and_records_dpi(dpi: int) -> None:
    image = Image.open(io.BytesIO(slip_png(CODE_A, dpi)))
    assert image.format == "PNG"
    assert round(image.info["dpi"][0]) == dpi
    # 0.6 mm modules: 25-35 modules plus quiet zone make a 20-30 mm square
    assert 18 <= image.width / dpi * 25.4 <= 30
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert [b.text for b in found] == [slip_payload(CODE_A)]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
