"""``ingest/status`` shows the file being read, with its age, while it is read."""

from __future__ import annotations

import threading
from pathlib import Path

from scanner_ingest import status
from scanner_ingest.pdf_worker import PdfWorker
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.conftest import MakeNode
from tests.scanner_ingest.ingest_support import running, wait_disposed
from tests.support.wait import wait_until

HOLD_SECONDS = 10  # the PDF worker is busy this long: the scan waits for it, being read


def test_the_file_being_read_is_shown_with_its_age(
    make_node: MakeNode, share: Path, tmp_path: Path
) -> None:
    rt = make_node()
    with PdfWorker(timeout=60) as worker:
        assert worker.validate_pdf(gen.write_pdf(tmp_path / "warm.pdf", [gen.blank_page(50)])).ok
        busy = threading.Thread(target=worker._call, args=("time:sleep", HOLD_SECONDS))
        busy.start()
        try:
            with running(rt, worker):
                gen.write_pdf(share / "Tờ khai.pdf", [gen.blank_page(dpi=50)], dpi=50)

                def reading() -> status.FolderStatus | None:
                    [entry] = status.read(rt).folders
                    return entry if entry.reading is not None else None

                first = wait_until(reading, timeout=HOLD_SECONDS, what="the scan shown as read")
                assert first is not None
                assert first.reading == "Tờ khai.pdf"
                assert first.reading_seconds is not None and first.reading_seconds >= 0
                assert first.reading_since is not None
                first_age: float = first.reading_seconds

                def older() -> status.FolderStatus | None:
                    entry = reading()
                    age = None if entry is None else entry.reading_seconds
                    return entry if age is not None and age >= first_age + 0.5 else None

                later = wait_until(older, timeout=HOLD_SECONDS, what="its age to grow")
                assert later is not None
                assert later.reading_since == first.reading_since
                wait_disposed(rt, 1, timeout=60)
                wait_until(lambda: reading() is None, what="nothing shown once it was taken")
        finally:
            busy.join()
