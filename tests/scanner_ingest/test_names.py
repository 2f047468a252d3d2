from __future__ import annotations

import os
import unicodedata
from pathlib import PurePath, PurePosixPath, PureWindowsPath

import pytest

from scanner_ingest.names import fit_name, is_ignored, is_ignored_name, nfc


@pytest.mark.parametrize(
    "name",
    [
        ".DS_Store",
        "._SCN_0001.pdf",
        ".~lock.don.odt#",
        ".SCN_0001.pdf.x7Gq2",
        "~$don de nghi.docx",
        "SCN_0001.tmp",
        "SCN_0001.PDF.TMP",
        "scan.part",
        "scan.pdf.crdownload",
        "scan.pdf.filepart",
        ".scan.pdf.swp",
        "scan.swp",
        "scan.pdf~",
        "Thumbs.db",
        "THUMBS.DB",
        "desktop.ini",
        "Desktop.INI",
        "@eaDir",
        "#recycle",
        "$RECYCLE.BIN",
        "System Volume Information",
        "lost+found",
        "FOUND.000",
        "SCN_0001.pdf@SynoEAStream",
    ],
)
def test_ignored_names(name: str) -> None:
    assert is_ignored_name(name)
    assert is_ignored(PurePosixPath(name))


@pytest.mark.parametrize(
    "name",
    [
        "SCN_0001.pdf",
        "scan.PDF",
        "000.00.15.H42-270205-0003.tif",
        "Đơn đề nghị.jpg",
        "temp.pdf",
        "partial scan.png",
        "found.pdf",
        "recycle.pdf",
        "thumbs.db.pdf",
    ],
)
def test_ordinary_names_are_taken(name: str) -> None:
    assert not is_ignored_name(name)
    assert not is_ignored(PurePosixPath("Scanner 1") / name)


def test_any_ignored_component_ignores_the_path() -> None:
    assert is_ignored(PurePosixPath("@eaDir/SCN_0001.pdf/SYNOPHOTO_THUMB_M.jpg"))
    assert is_ignored(PurePosixPath("phong A/#recycle/SCN_0001.pdf"))
    assert is_ignored(PureWindowsPath(r"$RECYCLE.BIN\S-1-5-21\SCN_0001.pdf"))
    assert is_ignored(PurePosixPath("phong A/.snapshot/hourly.0/SCN_0001.pdf"))
    assert not is_ignored(PurePosixPath("phong A/2027/SCN_0001.pdf"))


def test_anchor_is_not_a_component() -> None:
    assert not is_ignored(PurePosixPath("/srv/scans/SCN_0001.pdf"))
    assert not is_ignored(PurePath("SCN_0001.pdf"))


def test_nfc_composes_decomposed_vietnamese() -> None:
    composed = "Giấy tiếp nhận hồ sơ Đồng Tháp.pdf"
    decomposed = unicodedata.normalize("NFD", composed)  # what a macOS client sends
    assert decomposed != composed
    assert nfc(decomposed) == composed
    assert nfc(composed) == composed


def test_ignored_match_works_on_decomposed_names() -> None:
    assert is_ignored_name(unicodedata.normalize("NFD", "~$Đơn.docx"))
    assert not is_ignored_name(unicodedata.normalize("NFD", "Đơn.pdf"))


def test_nfc_replaces_undecodable_bytes() -> None:
    name = os.fsdecode(b"SCN_\xe0\xff.pdf")  # not UTF-8, e.g. from an old scanner codepage
    recorded = nfc(name)
    assert recorded == "SCN_\ufffd\ufffd.pdf"
    recorded.encode("utf-8")  # always storable


@pytest.mark.parametrize("total", [244, 250, 255])
@pytest.mark.parametrize("reserve", [0, len(".reason.json")])
def test_fit_name_always_fits_keeps_extension_and_differs_by_a_hash(
    total: int, reserve: int
) -> None:
    head = "Biên bản ký "
    room = total - len(os.fsencode(head + ".pdf"))
    name = head + "ê" * (room // 2) + "x" * (room % 2) + ".pdf"
    assert len(os.fsencode(name)) == total
    fitted = fit_name(name, reserve=reserve)
    assert len(os.fsencode(fitted)) + reserve <= 255
    assert fitted.endswith(".pdf") and fitted.startswith(head)
    if len(os.fsencode(name)) + reserve <= 255:
        assert fitted == name
    else:
        other = fit_name(name[:-5] + "ế.pdf", reserve=reserve)  # differs after the cut
        assert other != fitted and len(os.fsencode(other)) + reserve <= 255
    numbered = fit_name(name, reserve=reserve, number=2)
    assert numbered.endswith(" (2).pdf") and len(os.fsencode(numbered)) + reserve <= 255


def test_fit_name_of_undecodable_bytes_and_without_extension() -> None:
    raw = os.fsdecode(b"\xff" * 255)  # a Latin-1 name on a share, surrogate-escaped
    fitted = fit_name(raw, reserve=12)
    assert len(os.fsencode(fitted)) <= 243
    bare = fit_name("n" * 300)
    assert len(bare) <= 255 and "." not in bare
    huge_ext = fit_name("a." + "b" * 300)  # no extension is that long: cut like any name
    assert len(os.fsencode(huge_ext)) <= 255
