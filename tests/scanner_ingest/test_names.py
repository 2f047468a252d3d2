from __future__ import annotations

import os
import unicodedata
from pathlib import PurePath, PurePosixPath, PureWindowsPath

import pytest

from scanner_ingest.names import is_ignored, is_ignored_name, nfc


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
