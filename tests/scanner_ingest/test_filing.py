"""Which dossier a scan goes to, through the running service, with generated scans:
slips (rotated, 150 dpi, in PDF, TIFF, JPEG), codes in file names, foreign barcodes,
splitting at slips, and the original bytes kept."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]

from node.runtime import NodeRuntime
from scanner_ingest.pdf_worker import PdfWorker
from scanner_ingest.slip import slip_payload
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.conftest import MakeNode
from tests.scanner_ingest.ingest_support import count, new_dossier, running, wait_disposed


def parts(rt: NodeRuntime, name: str) -> list[tuple[object, ...]]:
    """(first page, stop, state, matched_by, dossier_id, unfiled_reason) of ``name``'s parts."""
    return [
        tuple(r)
        for r in rt.db.read().execute(
            "SELECT p.first_page, p.stop_page, p.state, p.matched_by, p.dossier_id, "
            "p.unfiled_reason FROM scan_parts p JOIN scan_receipts r ON r.id = p.receipt_id "
            "WHERE r.name = ? ORDER BY p.part",
            (name,),
        )
    ]


def test_matching_by_slip_and_by_name(
    make_node: MakeNode, share: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    a_id, a = new_dossier(rt, "Trần Thị Mai")
    b_id, b = new_dossier(rt, "Lê Hoàng Nam")
    drops: dict[str, Callable[[Path], Path]] = {
        "slip150.pdf": lambda p: gen.write_pdf(p, [gen.slip_page(a, dpi=150), gen.blank_page()]),
        "rotated.pdf": lambda p: gen.write_pdf(
            p, [gen.slip_page(b, dpi=300, rotate=90), gen.blank_page(dpi=300)], dpi=300
        ),
        "upside-down.jpg": lambda p: gen.write_jpeg(p, gen.slip_page(a, rotate=180), 60),
        "multi.tif": lambda p: gen.write_tiff(
            p, [gen.slip_page(b), gen.blank_page(), gen.blank_page()], "group4"
        ),
        f"scan {a}.png": lambda p: gen.write_png(p, gen.blank_page(dpi=100)),
        f"{b}.pdf": lambda p: gen.write_pdf(p, [gen.slip_page(a)]),  # the slip wins
        "foreign.pdf": lambda p: gen.write_pdf(p, [gen.qr_page("https://dichvucong.gov.vn")]),
        "badcrc.pdf": lambda p: gen.write_pdf(p, [gen.qr_page(f"HS1:{a}:00000000")]),
        "parcel.pdf": lambda p: gen.write_pdf(p, [gen.code128_page(slip_payload(a))]),
        "000.00.15.H42-990101-0001.png": lambda p: gen.write_png(p, gen.blank_page(dpi=50)),
        "late-slip.tif": lambda p: gen.write_tiff(p, [gen.blank_page(), gen.slip_page(a)]),
    }
    with running(rt, pdf_worker):
        for name, write in drops.items():
            write(share / name)
        wait_disposed(rt, len(drops), timeout=60)
    expected = {
        "slip150.pdf": [(0, 2, "attached", "qr", a_id, "")],
        "rotated.pdf": [(0, 2, "attached", "qr", b_id, "")],
        "upside-down.jpg": [(0, 1, "attached", "qr", a_id, "")],
        "multi.tif": [(0, 3, "attached", "qr", b_id, "")],
        f"scan {a}.png": [(0, 1, "attached", "filename", a_id, "")],
        f"{b}.pdf": [(0, 1, "attached", "qr", a_id, "")],
        "foreign.pdf": [(0, 1, "unfiled", "unmatched", None, "no_code")],
        "badcrc.pdf": [(0, 1, "unfiled", "unmatched", None, "no_code")],
        "parcel.pdf": [(0, 1, "unfiled", "unmatched", None, "no_code")],
        "000.00.15.H42-990101-0001.png": [(0, 1, "unfiled", "filename", None, "unknown_dossier")],
        "late-slip.tif": [(0, 2, "unfiled", "unmatched", None, "ambiguous_slips")],
    }
    assert {name: parts(rt, name) for name in drops} == expected
    actors = {
        r[0]
        for r in rt.db.read().execute(
            "SELECT actor FROM events WHERE kind = ?", ("document_attached",)
        )
    }
    assert actors == {"scanner:may-1"}


def test_a_single_scan_is_stored_byte_identical(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    _, code = new_dossier(rt)
    data = gen.write_pdf(tmp_path / "s.pdf", [gen.slip_page(code), gen.blank_page()]).read_bytes()
    data += b"\n% a signature's bytes stay as they are\n"
    with running(rt, pdf_worker):
        (share / "signed.pdf").write_bytes(data)
        wait_disposed(rt, 1)
    [(digest, mime, filename, copy_kind)] = list(
        rt.db.read().execute("SELECT sha256, d.role, filename, copy_kind FROM documents d")
    )
    assert digest == hashlib.sha256(data).hexdigest()
    assert rt.blobs.path_for(str(digest)).read_bytes() == data
    assert (mime, filename, copy_kind) == ("component", "signed.pdf", "original")


def test_a_scan_with_several_slips_is_split(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    a_id, a = new_dossier(rt)
    b_id, b = new_dossier(rt)
    pages = [
        gen.blank_page(text="truoc"),
        gen.slip_page(a),
        gen.blank_page(text="a1"),
        gen.slip_page(b, rotate=270),
        gen.blank_page(text="b1"),
        gen.blank_page(text="b2"),
        gen.slip_page(a),  # a second slip of the same dossier: a new document
    ]
    source = gen.write_pdf(tmp_path / "batch.pdf", pages)
    with running(rt, pdf_worker):
        (share / "batch.pdf").write_bytes(source.read_bytes())
        wait_disposed(rt, 1)
    assert parts(rt, "batch.pdf") == [
        (0, 1, "unfiled", "unmatched", None, "before_first_slip"),
        (1, 3, "attached", "qr", a_id, ""),
        (3, 6, "attached", "qr", b_id, ""),
        (6, 7, "attached", "qr", a_id, ""),
    ]
    assert [r[0] for r in rt.db.read().execute("SELECT outcome FROM scan_receipts")] == ["split"]
    docs = list(rt.db.read().execute("SELECT filename, sha256 FROM documents ORDER BY filename"))
    assert [d[0] for d in docs] == ["batch_p2-3.pdf", "batch_p4-6.pdf", "batch_p7-7.pdf"]
    for (_, digest), expected_pages in zip(docs, [2, 3, 1], strict=True):
        doc = pdfium.PdfDocument(io.BytesIO(rt.blobs.path_for(str(digest)).read_bytes()))
        assert len(doc) == expected_pages
        doc.close()
    original = hashlib.sha256(source.read_bytes()).hexdigest()
    assert rt.blobs.path_for(original).read_bytes() == source.read_bytes()  # kept whole
    assert count(rt, "SELECT COUNT(*) FROM blobs WHERE sha256 = ?", (original,)) == 1
