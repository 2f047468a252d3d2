"""The PDF worker process: validation, rendering, slips, splitting, and its failures."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest

from scanner_ingest import reasons
from scanner_ingest.filetypes import FileKind
from scanner_ingest.inspection import PAGES_PER_CALL, Refused, inspect, page_ranges
from scanner_ingest.pdf_worker import (
    PdfWorker,
    PdfWorkerCrashed,
    PdfWorkerFailed,
    PdfWorkerTimeout,
)
from scanner_ingest.qr_matching import DEFAULT_CODE_PATTERN, match_pages
from tests.scanner_ingest import filegen as gen


def test_validate_counts_pages(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page()] * 4)
    result = pdf_worker.validate_pdf(path)
    assert result.ok
    assert (result.kind, result.pages) == (FileKind.PDF, 4)


def test_encrypted_test_file_is_a_real_encrypted_pdf(tmp_path: Path) -> None:
    # Checked here in the (single-threaded) test process: without the password PDFium
    # refuses it as a password error, with it the document opens.
    path = gen.write_encrypted_pdf(tmp_path / "locked.pdf")
    with pytest.raises(pdfium.PdfiumError) as refused:
        pdfium.PdfDocument(path)
    assert refused.value.err_code == pdfium.raw.FPDF_ERR_PASSWORD
    doc = pdfium.PdfDocument(path, password="secret")
    assert len(doc) == 1
    doc.close()


def test_owner_password_only_pdf_opens_and_is_taken(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    # Empty user password: readable by anyone, only "permissions" restricted.
    path = gen.write_encrypted_pdf(tmp_path / "restricted.pdf", user_password=b"")
    assert pdf_worker.validate_pdf(path).ok


def test_render_page(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page(), gen.slip_page(gen.CODE_A)])
    image = pdf_worker.render_page(path, 1, dpi=150)
    assert image.mode == "L"
    assert abs(image.width - 1240) <= 2 and abs(image.height - 1754) <= 2
    assert image.getextrema() == (0, 255)
    with pytest.raises(PdfWorkerFailed, match="IndexError"):
        pdf_worker.render_page(path, 2)


def test_page_slips_and_extract_pages(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    pages = [
        gen.blank_page(text="truoc phieu"),
        gen.slip_page(gen.CODE_A),
        gen.blank_page(text="don"),
        gen.slip_page(gen.CODE_B, rotate=180),
        gen.blank_page(text="cccd"),
    ]
    path = gen.write_pdf(tmp_path / "stack.pdf", pages)
    slips = pdf_worker.page_slips(path)
    assert [s.code for s in slips] == [None, gen.CODE_A, None, gen.CODE_B, None]

    part = tmp_path / "part.pdf"
    part.write_bytes(pdf_worker.extract_pages(path, [3, 4]))
    assert pdf_worker.validate_pdf(part).pages == 2
    assert [s.code for s in pdf_worker.page_slips(part)] == [gen.CODE_B, None]


def test_concurrent_calls_from_threads(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    paths = [gen.write_pdf(tmp_path / f"{n}.pdf", [gen.blank_page()] * n) for n in range(1, 7)]
    with ThreadPoolExecutor(max_workers=6) as threads:
        results = list(threads.map(pdf_worker.validate_pdf, paths))
    assert [r.pages for r in results] == [1, 2, 3, 4, 5, 6]


def _child_pids(worker: PdfWorker) -> list[int]:
    executor = worker._executor
    assert executor is not None
    return list(executor._processes)


def test_killed_worker_is_replaced_transparently(tmp_path: Path) -> None:
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page()])
    with PdfWorker(timeout=30) as worker:
        assert worker.validate_pdf(path).ok
        [pid] = _child_pids(worker)
        os.kill(pid, signal.SIGKILL)  # e.g. the OOM killer
        assert worker.validate_pdf(path).ok
        assert _child_pids(worker) != [pid]


def test_worker_crashing_twice_on_a_call_raises_and_recovers(tmp_path: Path) -> None:
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page()])
    with PdfWorker(timeout=30) as worker:
        with pytest.raises(PdfWorkerCrashed):
            worker._call("os:_exit", 3)  # what a segfault in PDFium looks like from here
        assert worker.validate_pdf(path).ok


def test_hung_worker_is_killed_after_timeout(tmp_path: Path) -> None:
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page()])
    with PdfWorker(timeout=60) as worker:
        assert worker.validate_pdf(path).ok  # start the child first, however loaded the machine
        worker._timeout = 1.0
        [pid] = _child_pids(worker)
        started = time.monotonic()
        with pytest.raises(PdfWorkerTimeout):
            worker._call("time:sleep", 30)
        assert time.monotonic() - started < 10
        worker._timeout = 60
        assert worker.validate_pdf(path).ok
        assert pid not in _child_pids(worker)


def test_validate_reports_worker_failure_as_unparseable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = PdfWorker()

    def crash(op: str, *args: object, deadline: float | None = None) -> object:
        raise PdfWorkerCrashed(f"PDF worker crashed twice on {op}")

    monkeypatch.setattr(worker, "_call", crash)
    result = worker.validate_pdf(tmp_path / "evil.pdf")
    assert (result.reason, result.kind) == (reasons.UNPARSEABLE, FileKind.PDF)
    assert "crashed" in result.detail
    worker.close()


def test_close_is_idempotent_and_final(tmp_path: Path) -> None:
    worker = PdfWorker()
    worker.close()  # never started
    worker = PdfWorker()
    assert worker.validate_pdf(gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page()])).ok
    worker.close()
    worker.close()
    with pytest.raises(RuntimeError, match="closed"):
        worker.validate_pdf(tmp_path / "a.pdf")


@pytest.mark.parametrize("dpi", [150, 300])
def test_page_slips_in_a_mixed_scanned_stack(
    tmp_path: Path, pdf_worker: PdfWorker, dpi: int
) -> None:
    pages = [
        gen.slip_page(gen.CODE_A, dpi=dpi, rotate=90),
        gen.qr_page("https://dichvucong.gov.vn/tra-cuu", dpi=dpi),
        gen.code128_page("VN123456789", dpi=dpi),
        gen.slip_page(gen.CODE_B, dpi=dpi, rotate=180),
        gen.qr_page(f"HS1:{gen.CODE_A}:00000000", dpi=dpi),  # crc fails
        gen.slip_page(gen.CODE_A, dpi=dpi),
    ]
    path = gen.write_pdf(tmp_path / "stack.pdf", pages, dpi=dpi)
    slips = pdf_worker.page_slips(path, dpi=150)
    assert [(s.code, s.foreign) for s in slips] == [
        (gen.CODE_A, 0),
        (None, 1),
        (None, 0),
        (gen.CODE_B, 0),
        (None, 1),
        (gen.CODE_A, 0),
    ]
    assert [(s.start, s.stop, s.code) for s in match_pages(slips, "SCN_0001.pdf")] == [
        (0, 3, gen.CODE_A),
        (3, 5, gen.CODE_B),
        (5, 6, gen.CODE_A),
    ]


@pytest.mark.parametrize(
    ("size", "pages", "processes"),
    [(10 << 20, 8, 1), (10 << 20, 8, 2), (10 << 20, 1, 2), (1 << 20, 40, 2), (1 << 30, 7, 3)],
)
def test_page_ranges_cover_every_page_once_in_order(size: int, pages: int, processes: int) -> None:
    ranges = page_ranges(size, pages, processes)
    assert [i for r in ranges for i in r] == list(range(pages))
    assert all(0 < len(r) <= PAGES_PER_CALL for r in ranges)
    assert len(ranges) >= min(pages, processes)  # every process gets a share of one scan


def test_two_processes_share_a_scan_and_keep_page_order(tmp_path: Path) -> None:
    pages = [
        gen.slip_page(gen.CODE_A),
        gen.blank_page(),
        gen.qr_page("https://dichvucong.gov.vn/tra-cuu"),
        gen.slip_page(gen.CODE_B, rotate=180),
        gen.blank_page(),
        gen.slip_page(gen.CODE_A, rotate=90),
        gen.blank_page(),
    ]
    path = gen.write_pdf(tmp_path / "stack.pdf", pages)
    with PdfWorker(timeout=60, processes=2) as worker:
        found = inspect(
            path,
            "SCN_0001.pdf",
            pdf=lambda: worker,
            max_bytes=1 << 30,
            pattern=DEFAULT_CODE_PATTERN,
        )
        assert len(_child_pids(worker)) == 2  # both children took a share
    assert [(s.start, s.stop, s.code) for s in found.segments] == [
        (0, 3, gen.CODE_A),
        (3, 5, gen.CODE_B),
        (5, 7, gen.CODE_A),
    ]
    assert found.foreign == 1


def test_a_child_dying_beside_another_call_does_not_misfile(tmp_path: Path) -> None:
    # A crash breaks the whole pool, so a call running beside it is retried in fresh
    # children: it answers for its own pages or, if both crashes caught it, fails too; it
    # never answers wrongly, and the worker serves the next call.
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.slip_page(gen.CODE_A), gen.blank_page()])
    with PdfWorker(timeout=60, processes=2) as worker, ThreadPoolExecutor(2) as threads:
        crash = threads.submit(worker._call, "os:_exit", 3)
        read = threads.submit(worker.page_slips, path, 150, range(0, 2))
        with pytest.raises(PdfWorkerCrashed):
            crash.result()
        with contextlib.suppress(PdfWorkerCrashed):
            assert [s.code for s in read.result()] == [gen.CODE_A, None]
        assert [s.code for s in worker.page_slips(path, 150)] == [gen.CODE_A, None]


def test_a_pdf_the_workers_cannot_read_is_refused_not_half_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page()] * 4)
    with PdfWorker(timeout=60, processes=2) as worker:
        real = worker.page_slips

        def second_range_crashes(
            p: Path, dpi: float = 150, pages: range | None = None, deadline: float | None = None
        ) -> object:
            if pages is not None and pages.start > 0:
                raise PdfWorkerCrashed("PDF worker crashed twice on page_slips")
            return real(p, dpi, pages, deadline)

        monkeypatch.setattr(worker, "page_slips", second_range_crashes)
        with pytest.raises(Refused) as refused:
            inspect(
                path, "a.pdf", pdf=lambda: worker, max_bytes=1 << 30, pattern=DEFAULT_CODE_PATTERN
            )
    assert refused.value.reason == reasons.UNPARSEABLE and "crashed" in refused.value.detail


def test_an_operation_that_raises_in_the_child_is_one_error_family(tmp_path: Path) -> None:
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page()])
    with PdfWorker(timeout=30) as worker:
        with pytest.raises(PdfWorkerFailed, match="ValueError"):
            worker._call("builtins:int", "not a number")  # as PDFium refusing a page
        with pytest.raises(FileNotFoundError):  # the file vanished: the caller forgets it
            worker.validate_pdf(tmp_path / "gone.pdf")
        assert worker.validate_pdf(path).ok  # the child is still serving


def test_a_split_retried_after_a_crash_mid_save_overwrites_its_partial_file(
    tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    # The retry after a crash gets the same output path, where the dead child left bytes.
    path = gen.write_pdf(tmp_path / "a.pdf", [gen.blank_page(), gen.slip_page(gen.CODE_A)])
    out = tmp_path / "part.tmp"
    out.write_bytes(b"%PDF-1.7 half written by a child that died")
    size = pdf_worker.extract_pages_to(path, [1], out)
    assert out.stat().st_size == size
    doc = pdfium.PdfDocument(str(out))
    assert len(doc) == 1
    doc.close()
