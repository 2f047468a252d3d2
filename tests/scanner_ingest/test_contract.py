"""The pieces used together the way ``stability``'s docstring tells a watcher to, on real
files written slowly, with an injected clock (no watcher loop here)."""

from __future__ import annotations

from pathlib import Path

from scanner_ingest import reasons
from scanner_ingest.filetypes import check_file
from scanner_ingest.pdf_worker import PdfWorker
from scanner_ingest.quarantine.move import quarantine
from scanner_ingest.stability import Readiness, StabilityTracker, Verdict
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.ingest_support import reason_files


class Harness:
    def __init__(self, tmp_path: Path, pdf_worker: PdfWorker) -> None:
        self.tracker = StabilityTracker(stable_seconds=5, give_up_seconds=1800, retry_seconds=30)
        self.pdf = pdf_worker
        self.qdir = tmp_path / "quarantine"
        self.taken: list[Path] = []
        self.checks = 0

    def poll(self, path: Path, now: float) -> Verdict:
        st = path.stat()
        verdict = self.tracker.observe(path, st.st_size, st.st_mtime_ns, now)
        if verdict.state is Readiness.STABLE:
            self.checks += 1
            result = check_file(path, pdf=self.pdf)
            if result.ok:
                self.taken.append(path)
                self.tracker.forget(path)
                return verdict
            assert result.reason is not None
            verdict = self.tracker.reject(path, result.reason, now, result.detail)
        if verdict.state is Readiness.GIVE_UP:
            assert verdict.reason is not None
            quarantine(path, self.qdir, verdict.reason, verdict.detail)
            self.tracker.forget(path)
        return verdict


def test_slow_writer_is_taken_only_when_finished(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    whole = gen.write_pdf(tmp_path / "whole.pdf", [gen.blank_page()] * 3).read_bytes()
    share = tmp_path / "share"
    share.mkdir()
    path = share / "SCN_0001.pdf"
    h = Harness(tmp_path, pdf_worker)
    now = 0.0
    step = len(whole) // 10 + 1
    with path.open("wb") as f:
        for offset in range(0, len(whole), step):  # 10 chunks, one every 4 s
            f.write(whole[offset : offset + step])
            f.flush()
            assert h.poll(path, now).state is Readiness.WAITING
            now += 4
    assert h.poll(path, now).state is Readiness.WAITING  # last change seen 4 s ago
    assert h.poll(path, now + 2).state is Readiness.STABLE
    assert h.taken == [path]


def test_writer_pausing_mid_file_is_retried_not_quarantined(
    tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    whole = gen.write_pdf(tmp_path / "whole.pdf", [gen.blank_page()] * 2).read_bytes()
    path = tmp_path / "SCN_0001.pdf"
    path.write_bytes(whole[: len(whole) // 2])
    h = Harness(tmp_path, pdf_worker)
    h.poll(path, 0)
    assert h.poll(path, 10).state is Readiness.WAITING  # stable but truncated: retry later
    path.write_bytes(whole)  # the scanner resumes and finishes
    assert h.poll(path, 20).state is Readiness.WAITING
    assert h.poll(path, 25).state is Readiness.STABLE
    assert h.taken == [path]


def test_truncated_file_is_quarantined_at_give_up(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = gen.truncate(gen.write_jpeg(tmp_path / "SCN_0001.jpg", gen.blank_page()))
    h = Harness(tmp_path, pdf_worker)
    states = {h.poll(path, now).state for now in range(0, 1800, 5)}
    assert states == {Readiness.WAITING}
    assert h.checks == 60  # at 5 s, then every 30 s: retried, not stuck, not given up early
    assert h.poll(path, 1800).state is Readiness.GIVE_UP
    [entry] = reason_files(h.qdir)
    assert entry.record.reason == reasons.TRUNCATED
    assert not path.exists()


def test_unknown_type_is_quarantined_as_soon_as_stable(
    tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    path = tmp_path / "bao cao.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    h = Harness(tmp_path, pdf_worker)
    h.poll(path, 0)
    assert h.poll(path, 5).state is Readiness.GIVE_UP
    assert [q.record.reason for q in reason_files(h.qdir)] == [reasons.UNKNOWN_TYPE]


def test_empty_file_waits_then_is_quarantined(tmp_path: Path, pdf_worker: PdfWorker) -> None:
    path = tmp_path / "SCN_0001.pdf"
    path.touch()
    h = Harness(tmp_path, pdf_worker)
    assert {h.poll(path, now).state for now in range(0, 1800, 60)} == {Readiness.WAITING}
    assert h.poll(path, 1800).state is Readiness.GIVE_UP
    assert [q.record.reason for q in reason_files(h.qdir)] == [reasons.EMPTY]
