"""A 500 MB scan is taken with bounded memory, in the ingest process and in PDFium's.

The file is a real PDF: a slip page, then uncompressed 300 dpi grey pages (8.7 MB each), so
PDFium must parse and render every page to look for slips. ``motcua ingest`` runs as a real
process; its peak resident size (VmHWM) and that of its PDF worker child are read from
/proc once the file is committed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from node.runtime import open_node
from storage.db import scalar
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest.ingest_support import (
    configure,
    count,
    folder,
    new_dossier,
    start_ingest_ready,
    stop,
)
from tests.support.wait import wait_until

SIZE = 500 * 1024 * 1024
LIMIT_KB = 200 * 1024  # each process stays under 200 MB


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.mark.slow
def test_500_mb_scan_with_bounded_memory(node_dir: Path, tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    configure(node_dir, [folder(share, name="may-1")])
    rt = open_node(node_dir)
    dossier_id, code = new_dossier(rt)
    log = tmp_path / "ingest.log"
    process = start_ingest_ready(node_dir, log)
    try:
        part = share / "big.pdf.part"
        pages = gen.write_large_pdf(part, SIZE, gen.slip_page(code))
        size, source_sha = part.stat().st_size, sha256_file(part)
        part.rename(share / "big.pdf")
        wait_until(
            lambda: count(rt, "SELECT COUNT(*) FROM scan_receipts WHERE disposed_at IS NOT NULL"),
            timeout=180,
            interval=0.2,
            what=f"the 500 MB scan taken\n{log}",
        )
        ingest_kb = peak_kb(process.pid)
        worker_kb = max(peak_kb(c) for c in children(process.pid))
    finally:
        assert stop(process) == 0, log.read_text()[-3000:]
    print(f"{size} bytes, {pages} pages: ingest VmHWM {ingest_kb} kB, PDF worker {worker_kb} kB")
    conn = rt.db.read()
    assert scalar(conn, "SELECT outcome FROM scan_receipts") == "attached"
    assert scalar(conn, "SELECT sha256 FROM documents WHERE dossier_id = ?", (dossier_id,)) == (
        source_sha
    )
    assert scalar(conn, "SELECT pages FROM scan_receipts") == pages
    stored = rt.blobs.path_for(source_sha)
    assert stored.stat().st_size == size and sha256_file(stored) == source_sha
    rt.close()
    assert ingest_kb < LIMIT_KB and worker_kb < LIMIT_KB, (ingest_kb, worker_kb)
    stored.unlink()  # 1 GB of test files is enough to keep around
    for leftover in (share / "processed").rglob("*.pdf"):
        leftover.unlink()
