"""Finding slip QR codes on real page images, splitting by slips, codes in filenames."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

from scanner_ingest.qr_matching import (
    PageSlip,
    Segment,
    code_from_filename,
    find_slips,
    match_pages,
    read_page,
    split_by_slips,
)
from scanner_ingest.slip import slip_payload
from tests.scanner_ingest import filegen as gen

A, B = gen.CODE_A, gen.CODE_B


@pytest.mark.parametrize("dpi", [150, 300])
@pytest.mark.parametrize("rotate", [0, 90, 180, 270, 4])
def test_slip_found_at_any_rotation_and_resolution(dpi: int, rotate: int) -> None:
    page = read_page(gen.slip_page(A, dpi=dpi, rotate=rotate))
    assert page == PageSlip(codes=(A,), foreign=0)
    assert page.is_slip and page.code == A


def test_slip_found_in_a_150_dpi_jpeg_scan(tmp_path: Path) -> None:
    path = gen.write_jpeg(tmp_path / "scan.jpg", gen.slip_page(A, dpi=150), quality=60)
    with Image.open(path) as image:
        assert read_page(image).code == A


def test_slips_in_a_1_bit_multi_page_tiff(tmp_path: Path) -> None:
    pages = [gen.blank_page(), gen.slip_page(A), gen.blank_page(), gen.slip_page(B, rotate=90)]
    path = gen.write_tiff(tmp_path / "scan.tif", pages, "group4")
    with Image.open(path) as image:
        assert image.mode == "1"
        slips = find_slips(ImageSequence.Iterator(image))
    assert [s.code for s in slips] == [None, A, None, B]


def test_page_without_codes() -> None:
    assert read_page(gen.blank_page()) == PageSlip()


@pytest.mark.parametrize(
    "text",
    [
        "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html",
        A,  # a bare dossier code is not a slip
        f"HS1:{A}:00000000",  # crc fails
        f"HS1:{B}:06582525",  # A's crc on B
    ],
)
def test_foreign_or_damaged_qr_never_matches(text: str) -> None:
    assert read_page(gen.qr_page(text)) == PageSlip(codes=(), foreign=1)


def test_code128_is_not_read_as_a_slip() -> None:
    page = gen.code128_page(slip_payload(A))  # even with our payload in it
    assert read_page(page) == PageSlip()


def test_foreign_qr_beside_our_slip() -> None:
    page = gen.slip_page(A)
    other = gen.qr_page("https://example.vn/khac")
    page.paste(other.crop((0, 0, other.width, other.height // 3)), (0, page.height // 2))
    assert read_page(page) == PageSlip(codes=(A,), foreign=1)


def test_two_different_slips_on_one_page_are_ambiguous() -> None:
    page = gen.slip_page(A)
    second = gen.slip_page(B)
    page.paste(second.crop((0, 0, second.width, second.height // 4)), (0, page.height // 2))
    slip = read_page(page)
    assert set(slip.codes) == {A, B}
    assert slip.is_slip and slip.code is None


# --- splitting ---------------------------------------------------------------------------

S_A, S_B, NO = PageSlip((A,)), PageSlip((B,)), PageSlip()


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ([], []),
        ([NO, NO], [Segment(0, 2, None, "unmatched")]),
        ([S_A], [Segment(0, 1, A, "qr")]),
        ([S_A, NO, NO], [Segment(0, 3, A, "qr")]),
        (
            [NO, S_A, NO],
            [Segment(0, 1, None, "unmatched"), Segment(1, 3, A, "qr")],
        ),
        (
            [S_A, NO, S_B, NO, NO],
            [Segment(0, 2, A, "qr"), Segment(2, 5, B, "qr")],
        ),
        (
            [S_A, S_B],
            [Segment(0, 1, A, "qr"), Segment(1, 2, B, "qr")],
        ),
        (  # a second slip starts a segment even for the same dossier
            [S_A, NO, S_A, NO],
            [Segment(0, 2, A, "qr"), Segment(2, 4, A, "qr")],
        ),
        (  # foreign codes are plain pages
            [S_A, PageSlip(foreign=2), NO],
            [Segment(0, 3, A, "qr")],
        ),
        (
            [S_A, NO, PageSlip((A, B)), NO],
            [Segment(0, 2, A, "qr"), Segment(2, 4, None, "unmatched", candidates=(A, B))],
        ),
    ],
)
def test_split_by_slips(pages: list[PageSlip], expected: list[Segment]) -> None:
    assert split_by_slips(pages) == expected


def test_segment_pages_range() -> None:
    assert list(Segment(2, 5, A, "qr").pages) == [2, 3, 4]


# --- filename fallback -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (f"{A}.pdf", A),
        (f"HS_{A} (2).PDF", A),
        (f"{A}_{A}.pdf", A),  # the same code twice is one code
        (f"Đơn đề nghị {A}.jpg", A),
        ("000.00.01.H22-270101-0001.tif", "000.00.01.H22-270101-0001"),
        ("H42-991231-9999.pdf", "H42-991231-9999"),
        (f"{A}-{B}.pdf", None),  # two codes: ambiguous
        (f"{A} {B}.pdf", None),
        ("SCN_0001.pdf", None),
        (f"{A.lower()}.pdf", None),
        ("000.00.15.H42-271305-0003.pdf", None),  # month 13
        ("000.00.15.H42-270232-0003.pdf", None),  # day 32
        ("000.00.15.H42-270205-00031.pdf", None),  # 5-digit serial
        ("000.00.15.H42-270205-003.pdf", None),
        ("X000.00.15.H42-270205-0003.pdf", "X000.00.15.H42-270205-0003"),  # X000 is a group
        ("x000.00.15.H42-270205-0003.pdf", None),  # glued to a letter
        (".000.00.15.H42-270205-0003.pdf", None),
        ("000..00.H42-270205-0003.pdf", None),
        ("A" * 35 + "-270205-0003.pdf", "A" * 35 + "-270205-0003"),
        ("A" * 36 + "-270205-0003.pdf", None),  # agency code over 35 characters
    ],
)
def test_code_from_filename(name: str, code: str | None) -> None:
    assert code_from_filename(name) == code


def test_code_from_decomposed_filename() -> None:
    name = unicodedata.normalize("NFD", f"Hồ sơ {A}.pdf")
    assert code_from_filename(name) == A


def test_code_from_filename_with_a_custom_pattern() -> None:
    pattern = re.compile(r"HS(?P<code>\d{4}/\d{6})")
    assert code_from_filename("scan HS2027/000123.pdf", pattern) == "2027/000123"
    whole = re.compile(r"\d{4}-[A-Z]{3}-\d{5}")
    assert code_from_filename("2027-DTH-00042.pdf", whole) == "2027-DTH-00042"
    assert code_from_filename(f"{A}.pdf", whole) is None


def test_match_pages_prefers_slips_over_filename() -> None:
    segments = match_pages([NO, S_B, NO], f"{A}.pdf")
    assert segments == [Segment(0, 1, None, "unmatched"), Segment(1, 3, B, "qr")]


def test_match_pages_falls_back_to_filename() -> None:
    assert match_pages([NO, PageSlip(foreign=1)], f"{A}.pdf") == [Segment(0, 2, A, "filename")]


def test_match_pages_unfiled() -> None:
    assert match_pages([NO], "SCN_0001.pdf") == [Segment(0, 1, None, "unmatched")]
    assert match_pages([], f"{A}.pdf") == []
