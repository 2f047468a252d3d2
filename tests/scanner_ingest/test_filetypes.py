"""Type by magic bytes, and a full parse, on real generated files; every bad kind."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from PIL import Image, ImageFile

from node.file_types import MIME, media_type
from scanner_ingest import reasons
from scanner_ingest.filetypes import (
    FileKind,
    check_file,
    looks_truncated,
    sniff,
    validate_image,
)
from scanner_ingest.pdf_worker import PdfWorker
from tests.node.helpers import create_body
from tests.scanner_ingest import filegen as gen

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow on broken TIFF EXIF


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", FileKind.PDF),
        (b"\r\n\x00junk before the header %PDF-1.4\n", FileKind.PDF),
        (b"II*\x00\x08\x00\x00\x00", FileKind.TIFF),
        (b"MM\x00*\x00\x00\x00\x08", FileKind.TIFF),
        (b"II+\x00\x08\x00\x00\x00", FileKind.TIFF),  # BigTIFF
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", FileKind.JPEG),
        (b"\xff\xd8\xff\xe1\x00\x10Exif\x00", FileKind.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", FileKind.PNG),
        (b"PK\x03\x04\x14\x00\x06\x00", None),  # .docx
        (b"GIF89a\x01\x00", None),
        (b"BM6\x00\x00\x00", None),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", None),  # .doc
        (b"Giay tiep nhan", None),
        (b"\x89PNG\r\n", None),  # too short to be sure
        (b"", None),
    ],
)
def test_sniff(head: bytes, kind: FileKind | None) -> None:
    assert sniff(head) is kind


# --- good files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "write", "kind", "pages"),
    [
        ("SCN_0001.pdf", lambda p: gen.write_pdf(p, [gen.blank_page()] * 3), FileKind.PDF, 3),
        ("SCN_0002.tif", lambda p: gen.write_tiff(p, [gen.blank_page()] * 3), FileKind.TIFF, 3),
        (
            "SCN_0003.tiff",
            lambda p: gen.write_tiff(p, [gen.blank_page()] * 2, "tiff_lzw"),
            FileKind.TIFF,
            2,
        ),
        ("SCN_0004.jpg", lambda p: gen.write_jpeg(p, gen.blank_page()), FileKind.JPEG, 1),
        ("SCN_0005.png", lambda p: gen.write_png(p, gen.blank_page()), FileKind.PNG, 1),
        # the extension and its case mean nothing
        ("SCAN.PDF", lambda p: gen.write_jpeg(p, gen.blank_page()), FileKind.JPEG, 1),
        ("scan.TIF", lambda p: gen.write_pdf(p, [gen.blank_page()]), FileKind.PDF, 1),
        ("scan", lambda p: gen.write_png(p, gen.blank_page()), FileKind.PNG, 1),
    ],
)
def test_good_files_are_accepted(
    tmp_path: Path, pdf_worker: PdfWorker, name: str, write: object, kind: FileKind, pages: int
) -> None:
    path = write(tmp_path / name)  # type: ignore[operator]
    result = check_file(path, pdf=pdf_worker)
    assert result.ok, result
    assert (result.kind, result.pages) == (kind, pages)


def test_pdf_with_trailing_nuls_and_newlines_is_accepted(
    tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    path = gen.write_pdf(tmp_path / "scan.pdf", [gen.blank_page()])
    with path.open("ab") as f:
        f.write(b"\r\n" + b"\x00" * 600)
    assert check_file(path, pdf=pdf_worker).ok


# --- bad files ---------------------------------------------------------------------------


def test_empty(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = tmp_path / "SCN_0001.pdf"
    path.touch()
    result = check_file(path, pdf=pdf_worker)
    assert (result.reason, result.kind) == (reasons.EMPTY, None)


def test_preallocated_zeros_count_as_empty(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = tmp_path / "SCN_0001.pdf"
    path.write_bytes(b"\x00" * 65536)
    assert check_file(path, pdf=pdf_worker).reason == reasons.EMPTY


@pytest.mark.parametrize("name", ["bao cao.docx", "anh.gif", "ghi chu.pdf"])
def test_unknown_type(tmp_path: Path, pdf_worker: PdfWorker, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".docx"):
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("word/document.xml", "<w:document/>")
    elif name.endswith(".gif"):
        gen.blank_page().save(path, "GIF")
    else:
        path.write_text("không phải PDF", encoding="utf-8")
    result = check_file(path, pdf=pdf_worker)
    assert result.reason == reasons.UNKNOWN_TYPE
    assert "magic bytes" in result.detail


def test_too_large(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = gen.write_pdf(tmp_path / "SCN_0001.pdf", [gen.blank_page()])
    size = path.stat().st_size
    assert check_file(path, pdf=pdf_worker, max_bytes=size).ok
    result = check_file(path, pdf=pdf_worker, max_bytes=size - 1)
    assert result.reason == reasons.TOO_LARGE
    assert str(size) in result.detail


def test_decompression_bomb_is_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = gen.write_png(tmp_path / "bomb.png", gen.blank_page(dpi=50))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert validate_image(path, FileKind.PNG).reason == reasons.TOO_LARGE


def test_encrypted_pdf(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = gen.write_encrypted_pdf(tmp_path / "SCN_0001.pdf")
    result = check_file(path, pdf=pdf_worker)
    assert (result.reason, result.kind) == (reasons.ENCRYPTED_PDF, FileKind.PDF)


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("a.pdf", lambda p: gen.write_pdf(p, [gen.blank_page(), gen.blank_page()])),
        ("b.tif", lambda p: gen.write_tiff(p, [gen.blank_page(), gen.blank_page()])),
        ("c.tif", lambda p: gen.write_tiff(p, [gen.blank_page(), gen.blank_page()], "raw")),
        ("d.jpg", lambda p: gen.write_jpeg(p, gen.slip_page(gen.CODE_A))),
        ("e.png", lambda p: gen.write_png(p, gen.slip_page(gen.CODE_A))),
    ],
)
@pytest.mark.parametrize("fraction", [0.5, 0.97])
def test_truncated(
    tmp_path: Path, pdf_worker: PdfWorker, name: str, write: object, fraction: float
) -> None:
    path = gen.truncate(write(tmp_path / name), fraction)  # type: ignore[operator]
    result = check_file(path, pdf=pdf_worker)
    assert result.reason == reasons.TRUNCATED, result


def test_pdf_missing_only_its_trailer_is_truncated(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    # PDFium rebuilds the cross-reference table and would show all pages; the end is missing.
    path = gen.write_pdf(tmp_path / "SCN_0001.pdf", [gen.blank_page(), gen.blank_page()])
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"trailer")])
    assert check_file(path, pdf=pdf_worker).reason == reasons.TRUNCATED


def test_damaged_pdf_is_unparseable(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = tmp_path / "SCN_0001.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    result = check_file(path, pdf=pdf_worker)
    assert (result.reason, result.kind) == (reasons.UNPARSEABLE, FileKind.PDF)


def test_damaged_png_is_unparseable(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = gen.write_png(tmp_path / "SCN_0001.png", gen.slip_page(gen.CODE_A))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = b"\xaa" * 16  # corrupt the compressed pixels, keep the end
    path.write_bytes(bytes(data))
    result = check_file(path, pdf=pdf_worker)
    assert (result.reason, result.kind) == (reasons.UNPARSEABLE, FileKind.PNG)


def test_jpeg_header_with_garbage_is_unparseable(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = tmp_path / "SCN_0001.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 20 + b"\xff\xd9")
    assert check_file(path, pdf=pdf_worker).reason == reasons.UNPARSEABLE


def test_unreadable(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    # Tests may run as root, where permissions do not stop reading; a directory cannot be read.
    folder = tmp_path / "SCN_0001.pdf"
    folder.mkdir()
    assert check_file(folder, pdf=pdf_worker).reason == reasons.UNREADABLE


def test_links_and_fifos_are_not_read(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    target = gen.write_pdf(tmp_path / "elsewhere.pdf", [gen.blank_page()])
    link = tmp_path / "SCN_0001.pdf"
    link.symlink_to(target)
    fifo = tmp_path / "SCN_0002.pdf"
    os.mkfifo(fifo)  # opening it for reading would block
    for path in (link, fifo):
        result = check_file(path, pdf=pdf_worker)
        assert (result.reason, result.detail) == (reasons.UNREADABLE, "not a regular file")


def test_vanished_file_raises(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    with pytest.raises(FileNotFoundError):
        check_file(tmp_path / "renamed-away.pdf", pdf=pdf_worker)
    with pytest.raises(FileNotFoundError):
        pdf_worker.validate_pdf(tmp_path / "renamed-away.pdf")


def test_refuses_to_validate_when_truncated_images_are_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = gen.truncate(gen.write_jpeg(tmp_path / "a.jpg", gen.blank_page()))
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        validate_image(path, FileKind.JPEG)


def test_every_reason_has_both_messages() -> None:
    assert set(reasons.REASONS) == {
        "empty",
        "truncated",
        "unparseable",
        "encrypted_pdf",
        "unknown_type",
        "too_large",
        "unreadable",
    }
    for reason in reasons.REASONS.values():
        assert reason.message_vi and reason.message_en
        assert reason.message_vi != reason.message_en


def test_looks_truncated_on_whole_and_cut_files(tmp_path: Path) -> None:
    files = {
        FileKind.PDF: gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page()]),
        FileKind.TIFF: gen.write_tiff(tmp_path / "b.tif", [gen.blank_page()] * 2),
        FileKind.JPEG: gen.write_jpeg(tmp_path / "c.jpg", gen.blank_page()),
        FileKind.PNG: gen.write_png(tmp_path / "d.png", gen.blank_page()),
    }
    for kind, path in files.items():
        with path.open("rb") as f:
            assert not looks_truncated(f, kind), kind
        gen.truncate(path)
        with path.open("rb") as f:
            assert looks_truncated(f, kind), kind


# --- one sniffer at both doors (uploads and ingest) ------------------------------------------


def _bigtiff(path: Path) -> Path:
    gen.blank_page(dpi=50).save(path, "TIFF", big_tiff=True)  # libtiff (compression) ignores it
    assert path.read_bytes()[:4] == b"II+\x00"
    return path


DOOR_SAMPLES: dict[str, Callable[[Path], object]] = {
    "scan.pdf": lambda p: gen.write_pdf(p, [gen.blank_page()]),
    "scan.tif": lambda p: gen.write_tiff(p, [gen.blank_page()]),
    "big.tif": _bigtiff,
    "scan.jpg": lambda p: gen.write_jpeg(p, gen.blank_page()),
    "scan.png": lambda p: gen.write_png(p, gen.blank_page()),
    "anh.gif": lambda p: gen.blank_page().save(p, "GIF"),
    "ghi chu.txt": lambda p: p.write_text("không phải PDF", encoding="utf-8"),
}


def test_uploads_and_ingest_accept_the_same_types(
    tmp_path: Path, client: TestClient[Litestar], pdf_worker: PdfWorker
) -> None:
    """The HTTP upload labels a document with a scan type exactly when ingest takes it, and
    with the same type: BigTIFF included (uploads used to label it octet-stream)."""
    dossier = client.post("/api/v1/dossiers", json=create_body()).json()
    for name, write in DOOR_SAMPLES.items():
        path = tmp_path / name
        write(path)
        sent = client.post(
            f"/api/v1/dossiers/{dossier['id']}/documents",
            files={"file": (name, path.read_bytes(), "application/octet-stream")},
        )
        assert sent.status_code == 201, sent.text
        uploaded = sent.json()["documents"][-1]["mime"]
        ingested = check_file(path, pdf=pdf_worker)
        ingest_type = None if ingested.kind is None else MIME[ingested.kind]
        upload_type = uploaded if uploaded in MIME.values() else None
        assert (upload_type, ingested.ok) == (ingest_type, ingest_type is not None), name
    assert MIME[FileKind.TIFF] == "image/tiff"
    assert {media_type(b"II+\x00\x08\x00\x00\x00"), media_type(b"MM\x00+\x00\x08")} == {
        "image/tiff"
    }


@pytest.mark.parametrize(
    ("declared", "labelled"),
    [
        ("application/xml", "application/xml"),  # a signed e-form: a type we do not sniff
        ("application/pdf", "application/octet-stream"),  # a claim the bytes do not back
        ("IMAGE/TIFF", "application/octet-stream"),
        ("not a type", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_upload_label_of_a_file_no_door_sniffs(declared: str | None, labelled: str) -> None:
    assert media_type(b"<?xml version='1.0'?>", declared) == labelled
