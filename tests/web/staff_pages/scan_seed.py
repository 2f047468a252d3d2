"""Unfiled scans and a quarantined file made by the real ingest pipeline, for the scans page
tests (a page test and a browser test)."""

from __future__ import annotations

from pathlib import Path

from node.runtime import NodeRuntime
from scanner_ingest.pdf_worker import PdfWorker
from scanner_ingest.unfiled import list_unfiled
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.ingest_support import running, wait_disposed


def seed_scans(
    rt: NodeRuntime, share: Path, pdf: PdfWorker, images: int = 1, junk: int = 0
) -> list[str]:
    """``images`` PNG scans with no cover slip (unfiled) and ``junk`` text files
    (quarantined); the ids of the unfiled parts."""
    with running(rt, pdf):
        for i in range(images):
            gen.write_png(share / f"scan{i}.png", gen.blank_page(dpi=50, text=str(i)))
        for i in range(junk):
            (share / f"junk{i}.txt").write_text("not a scan")
        wait_disposed(rt, images + junk)
    return [item.id for item in list_unfiled(rt, 100, 0).items]
