"""The ingest service on real files in a real drop folder: taken once, when finished.

Each test runs the service in-process against a fresh node (real SQLite, real blob store,
watchfiles on a real folder) with ``stable_seconds`` of 0.3 s, and polls for outcomes.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from node.runtime import NodeRuntime
from scanner_ingest.pdf_worker import PdfWorker
from scanner_ingest.watcher import FolderWatcher
from storage.db import scalar
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.conftest import MakeNode
from tests.scanner_ingest.ingest_support import (
    count,
    files,
    folder,
    new_dossier,
    reason_files,
    running,
    wait_disposed,
    wait_receipts,
)
from tests.support.wait import wait_until


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def receipts_by_name(rt: NodeRuntime) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for name, outcome, digest in rt.db.read().execute(
        "SELECT name, outcome, sha256 FROM scan_receipts ORDER BY received_at"
    ):
        found.setdefault(str(name), []).append((str(outcome), str(digest)))
    return found


def test_slow_chunked_writer_is_ingested_once(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    _, code = new_dossier(rt)
    data = gen.write_pdf(tmp_path / "src.pdf", [gen.slip_page(code), gen.blank_page()]).read_bytes()
    step = len(data) // 8 + 1
    with running(rt, pdf_worker):
        with (share / "SCN_0001.pdf").open("wb") as f:
            for offset in range(0, len(data), step):  # each pause is shorter than "stable"
                f.write(data[offset : offset + step])
                f.flush()
                time.sleep(0.1)
        wait_disposed(rt, 1)
    assert receipts_by_name(rt) == {"SCN_0001.pdf": [("attached", sha(data))]}
    assert count(rt, "SELECT COUNT(*) FROM documents WHERE sha256 = ?", (sha(data),)) == 1
    assert rt.blobs.path_for(sha(data)).read_bytes() == data


def test_writer_pausing_mid_file_is_waited_for_not_quarantined(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    data = gen.write_pdf(tmp_path / "src.pdf", [gen.blank_page()] * 3).read_bytes()
    path = share / "SCN_0002.pdf"
    with running(rt, pdf_worker) as service:
        path.write_bytes(data[: len(data) // 2])
        # The scanner pauses longer than stable_seconds: the half file looks finished, is
        # refused as truncated (a reason that may pass), and neither taken nor quarantined.
        wait_until(lambda: service.refused >= 2, what="the half file refused twice")
        assert count(rt, "SELECT COUNT(*) FROM scan_receipts") == 0
        with path.open("ab") as f:
            f.write(data[len(data) // 2 :])
        wait_disposed(rt, 1)
    assert receipts_by_name(rt) == {"SCN_0002.pdf": [("unfiled", sha(data))]}
    assert reason_files(share / "quarantine") == []


def test_part_file_renamed_is_ingested_once(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    data = gen.write_pdf(tmp_path / "x.pdf", [gen.blank_page(text="x")]).read_bytes()
    marker = gen.write_jpeg(tmp_path / "marker.jpg", gen.blank_page(text="marker")).read_bytes()
    with running(rt, pdf_worker):
        (share / "x.pdf.part").write_bytes(data)
        (share / "marker.jpg").write_bytes(marker)
        wait_disposed(rt, 1)  # the marker, written after the .part, was taken: .part ignored
        assert (share / "x.pdf.part").exists()
        (share / "x.pdf.part").rename(share / "x.pdf")
        wait_disposed(rt, 2)
    assert receipts_by_name(rt) == {
        "marker.jpg": [("unfiled", sha(marker))],
        "x.pdf": [("unfiled", sha(data))],
    }
    assert [p.name for p in files(share)] == ["marker.jpg", "x.pdf"]  # in processed/<day>/


def test_files_dropped_while_down_are_taken_at_start(
    make_node: MakeNode, share: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    (share / "sub").mkdir()
    gen.write_png(share / "a.png", gen.blank_page(dpi=50, text="a"))
    gen.write_jpeg(share / "sub" / "b.jpg", gen.blank_page(dpi=50, text="b"))
    with running(rt, pdf_worker):
        wait_disposed(rt, 2)
    assert sorted(receipts_by_name(rt)) == ["a.png", "sub/b.jpg"]
    assert not (share / "a.png").exists() and (share / "sub").is_dir()


def test_same_bytes_under_two_names_give_one_blob_and_two_receipts(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    _, code = new_dossier(rt)
    data = gen.write_pdf(tmp_path / "s.pdf", [gen.slip_page(code)]).read_bytes()
    with running(rt, pdf_worker):
        (share / "a.pdf").write_bytes(data)
        wait_disposed(rt, 1)
        (share / "b.pdf").write_bytes(data)
        wait_disposed(rt, 2)
    rows = list(
        rt.db.read().execute(
            "SELECT id, name, outcome, duplicate_of FROM scan_receipts ORDER BY received_at"
        )
    )
    assert [(r[1], r[2]) for r in rows] == [("a.pdf", "attached"), ("b.pdf", "duplicate")]
    assert rows[1][3] == rows[0][0]
    assert count(rt, "SELECT COUNT(*) FROM blobs WHERE sha256 = ?", (sha(data),)) == 1
    assert count(rt, "SELECT COUNT(*) FROM documents") == 1
    assert count(rt, "SELECT COUNT(*) FROM events WHERE kind = 'document_attached'") == 1


def test_two_different_files_with_one_reused_name_are_both_kept(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    _, code = new_dossier(rt)
    first = gen.write_pdf(tmp_path / "1.pdf", [gen.slip_page(code), gen.blank_page(text="1")])
    second = gen.write_pdf(tmp_path / "2.pdf", [gen.slip_page(code), gen.blank_page(text="2")])
    with running(rt, pdf_worker):
        shutil.copyfile(first, share / "SCN_0001.pdf")
        wait_disposed(rt, 1)
        shutil.copyfile(second, share / "SCN_0001.pdf")
        wait_disposed(rt, 2)
    digests = [sha(first.read_bytes()), sha(second.read_bytes())]
    assert receipts_by_name(rt) == {"SCN_0001.pdf": [("attached", d) for d in digests]}
    kept = sorted(p.name for p in files(share / "processed"))
    assert kept == ["SCN_0001 (2).pdf", "SCN_0001.pdf"]
    assert sorted(sha(p.read_bytes()) for p in files(share / "processed")) == sorted(digests)
    shas = [r[0] for r in rt.db.read().execute("SELECT sha256 FROM documents")]
    assert sorted(shas) == sorted(digests)


def test_names_are_recorded_in_nfc(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    _, code = new_dossier(rt)
    nfc_name = unicodedata.normalize("NFC", f"Tờ khai {code}.png")
    nfd_name = unicodedata.normalize("NFD", nfc_name)
    assert nfc_name != nfd_name
    with running(rt, pdf_worker):
        gen.write_png(share / nfc_name, gen.blank_page(dpi=50, text="nfc"))
        gen.write_png(share / nfd_name, gen.blank_page(dpi=50, text="nfd"))
        wait_disposed(rt, 2)
    names = [r[0] for r in rt.db.read().execute("SELECT name FROM scan_receipts")]
    assert names == [nfc_name, nfc_name]
    filenames = [r[0] for r in rt.db.read().execute("SELECT filename FROM documents")]
    assert filenames == [nfc_name, nfc_name]  # both attached: the code is in the name
    assert len(files(share / "processed")) == 2


def test_each_bad_kind_is_quarantined_with_its_reason(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node(
        folders=[folder(share, name="may-1", give_up_seconds=1.0)], max_file_bytes=300_000
    )
    big = gen.write_tiff(tmp_path / "big.tif", [gen.blank_page(dpi=300)], "none")
    assert big.stat().st_size > 300_000
    with running(rt, pdf_worker):
        (share / "empty.pdf").touch()
        gen.truncate(gen.write_pdf(share / "cut.pdf", [gen.blank_page()] * 2))
        gen.truncate(gen.write_jpeg(share / "cut.jpg", gen.blank_page()))
        gen.write_encrypted_pdf(share / "locked.pdf")
        (share / "report.docx").write_bytes(b"PK\x03\x04" + bytes(200))
        (share / "zeros.pdf").write_bytes(bytes(2000))  # space reserved, never written
        shutil.copyfile(big, share / "big.tif")
        wait_receipts(rt, 7, outcome="quarantined")
    found = {q.record.file: q.record.reason for q in reason_files(share / "quarantine")}
    assert found == {
        "empty.pdf": "empty",
        "cut.pdf": "truncated",
        "cut.jpg": "truncated",
        "locked.pdf": "encrypted_pdf",
        "report.docx": "unknown_type",
        "zeros.pdf": "empty",
        "big.tif": "too_large",
    }
    recorded = dict(
        rt.db.read().execute("SELECT name, reason FROM scan_receipts WHERE outcome = 'quarantined'")
    )
    assert recorded == found
    assert [p.name for p in share.iterdir() if p.is_file()] == []
    assert count(rt, "SELECT COUNT(*) FROM blobs") == 0


def test_final_reasons_are_quarantined_as_soon_as_stable(
    make_node: MakeNode, share: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()  # give_up_seconds: the default 1800
    with running(rt, pdf_worker):
        gen.write_encrypted_pdf(share / "locked.pdf")
        (share / "notes.txt").write_text("not a scan")
        wait_receipts(rt, 2, outcome="quarantined")


def test_quarantine_and_processed_inside_the_share_are_never_taken(
    make_node: MakeNode, share: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node(rescan_seconds=0.3)
    with running(rt, pdf_worker) as service:
        gen.write_png(share / "a.png", gen.blank_page(dpi=50))
        (share / "b.txt").write_text("x")
        wait_receipts(rt, 2)
        rescans = service.rescans
        wait_until(lambda: service.rescans >= rescans + 3, what="three more rescans")
        assert all(len(t) == 0 for t in service._trackers.values())  # nothing watched
    assert (service.taken, service.quarantined) == (1, 1)
    assert count(rt, "SELECT COUNT(*) FROM scan_receipts") == 2
    assert len(files(share / "processed")) == 1 and len(files(share / "quarantine")) == 2


def test_deleting_the_drop_folder_recreates_it_and_keeps_taking(
    make_node: MakeNode, share: Path, pdf_worker: PdfWorker
) -> None:
    rt = make_node()
    with running(rt, pdf_worker):
        gen.write_png(share / "a.png", gen.blank_page(dpi=50, text="a"))
        wait_disposed(rt, 1)
        shutil.rmtree(share)
        wait_until(share.is_dir, timeout=10, what="the drop folder recreated")
        gen.write_png(share / "b.png", gen.blank_page(dpi=50, text="b"))
        wait_disposed(rt, 2, timeout=30)
    assert sorted(receipts_by_name(rt)) == ["a.png", "b.png"]


def test_rescans_take_files_when_no_event_arrives(
    make_node: MakeNode, share: Path, pdf_worker: PdfWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FolderWatcher, "start", lambda self: None)  # every event is lost
    rt = make_node(rescan_seconds=0.5)
    with running(rt, pdf_worker):
        gen.write_png(share / "a.png", gen.blank_page(dpi=50))
        wait_disposed(rt, 1)


def test_polled_folder(make_node: MakeNode, share: Path, pdf_worker: PdfWorker) -> None:
    rt = make_node(folders=[folder(share, name="nas", poll=True)])
    with running(rt, pdf_worker) as service:
        assert service.folders[0].poll
        gen.write_png(share / "a.png", gen.blank_page(dpi=50))
        wait_disposed(rt, 1)
    assert count(rt, "SELECT COUNT(*) FROM scan_receipts WHERE folder = 'nas'") == 1


def test_two_folders_with_processed_and_quarantine_elsewhere(
    make_node: MakeNode, share: Path, tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    other = tmp_path / "share2"
    rt = make_node(
        folders=[folder(share, name="a"), folder(other, name="b", role="result")],
        processed_dir=str(tmp_path / "done"),
        quarantine_dir=str(tmp_path / "bad"),
    )
    with running(rt, pdf_worker):
        gen.write_png(share / "x.png", gen.blank_page(dpi=50))
        gen.write_png(other / "y.png", gen.blank_page(dpi=50, text="y"))
        (other / "z.bin").write_bytes(b"\x00\x01junk" * 10)
        wait_receipts(rt, 3)
        wait_disposed(rt, 3)
    done = [p.relative_to(tmp_path / "done") for p in files(tmp_path / "done")]
    assert sorted((p.parts[0], p.name) for p in done) == [("a", "x.png"), ("b", "y.png")]
    assert [p.name for p in files(tmp_path / "bad" / "b")] == ["z.bin", "z.bin.reason.json"]
    assert files(share) == [] and files(other) == []
    roles = dict(rt.db.read().execute("SELECT filename, role FROM scan_parts"))
    assert roles == {"x.png": "component", "y.png": "result"}


def test_delete_after_ingest(make_node: MakeNode, share: Path, pdf_worker: PdfWorker) -> None:
    rt = make_node(delete_after_ingest=True)
    with running(rt, pdf_worker):
        gen.write_png(share / "a.png", gen.blank_page(dpi=50))
        wait_disposed(rt, 1)
    assert files(share) == []
    assert scalar(rt.db.read(), "SELECT disposed_to FROM scan_receipts") == ""


def test_stop_is_prompt_and_idempotent(make_node: MakeNode, pdf_worker: PdfWorker) -> None:
    rt = make_node()
    with running(rt, pdf_worker) as service:
        pass
    service.stop()
    assert not any(t.name.startswith("ingest-") for t in threading.enumerate())
