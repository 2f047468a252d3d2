"""Scanner ingest against hostile scans: peak memory, and how long a normal scan waits.

For each hostile file of issue 10 (generated here, small on disk), a fresh node and a real
``motcua ingest`` process (the service ``motcua serve`` runs in the background, without the
API): after a warm-up scan, one normal scan is dropped alone (its time is the reference),
then the hostile file,
then, once the hostile file has been judged finished and taken in hand, another normal scan.
Reported per file:

- outcome: the hostile file's receipt (quarantined, with its reason) and the seconds from
  its drop to that receipt;
- peak resident size (VmHWM) of the ingest process, and the largest of its worker children
  (sampled every 20 ms; a child replaced after a crash is counted too);
- wait: how much longer the second normal scan took from drop to commit than the first.

Aims: no process above 512 MB; a normal scan waits under 5 s behind the worst file.

Run: ``uv run python -m bench.bench_hostile [--only NAME ...] [--json f]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import tomli_w

from bench.bench_ingest import _dossier, _iso, children, peak_kb, wait_for
from cli.init_cmd import initialise
from node.runtime import NodeRuntime, open_node
from tests.scanner_ingest import filegen as gen
from tests.scanner_ingest import hostile_files as hostile

AIM_PEAK_MB = 512.0
AIM_WAIT_S = 5.0
STABLE_SECONDS = 0.5  # as bench_ingest

#: name: (what it is, file name, how to write it)
HOSTILE: dict[str, tuple[str, str, Callable[[Path], Path]]] = {
    "pdf_image_40000": ("PDF, one 40000² image of zeros", "a.pdf", hostile.pdf_image_bomb),
    "pdf_image_46000x2": (
        "PDF, 2 pages of a 46000² image",
        "b.pdf",
        lambda p: hostile.pdf_image_bomb(p, 46000, 2),
    ),
    "pdf_content_2gb": ("PDF, content inflating to 2 GB", "c.pdf", hostile.pdf_content_bomb),
    "png_rgba_13000": ("PNG, RGBA 13000²", "d.png", hostile.png_bomb),
    "pdf_2000_huge_pages": ("PDF, 2000 pages of 200000 pt", "e.pdf", hostile.pdf_many_huge_pages),
    "tiff_200_frames": ("TIFF, 200 frames on one strip", "f.tif", hostile.tiff_frames_one_strip),
    "jpeg_12000_no_data": ("JPEG, declares 12000², no data", "g.jpg", hostile.jpeg_without_pixels),
    "jpeg_4000_no_data": (
        "JPEG, declares 4000², no data",
        "h.jpg",
        lambda p: hostile.jpeg_without_pixels(p, 4000, 4000),
    ),
}


class PeakSampler:
    """Polls VmHWM of a process and of every child it ever had, until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.own_kb = 0
        self.child_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self.own_kb = max(self.own_kb, peak_kb(self.pid))
                for child in children(self.pid):
                    self.child_kb[child] = max(self.child_kb.get(child, 0), peak_kb(child))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue  # a child exited between listing and reading

    def stop(self) -> tuple[float, float]:
        self._stop.set()
        self._thread.join()
        return self.own_kb / 1024, max(self.child_kb.values(), default=0) / 1024


def _receipt(rt: NodeRuntime, name: str) -> tuple[str, str | None, str] | None:
    row = rt.db.read().execute(
        "SELECT outcome, reason, received_at FROM scan_receipts WHERE name = ?", (name,)
    )
    found = list(row)
    return None if not found else (str(found[0][0]), found[0][1], str(found[0][2]))


def _drop(src: Path, share: Path) -> float:
    at = time.time()
    os.replace(src, share / src.name)
    return at


def _normal_scan(path: Path, code: str) -> Path:
    return gen.write_pdf(path, [gen.slip_page(code), gen.blank_page()])


def _make_node(work: Path, share: Path) -> tuple[Path, str]:
    """A fresh node with one dossier and one drop folder; retryable refusals (unparseable)
    end quarantined at give-up, which is short here."""
    node_dir = work / "node"
    initialise(node_dir, "000.00.15.H42", "xa-bench", sample_catalog=True)
    folder = {"path": str(share), "name": "may-1", "stable_seconds": STABLE_SECONDS}
    section = {"ingest": {"retry_seconds": 2.0, "folder": [{**folder, "give_up_seconds": 8.0}]}}
    with (node_dir / "motcua.toml").open("a", encoding="utf-8") as f:
        f.write("\n" + tomli_w.dumps(section))
    rt = open_node(node_dir)
    try:
        code = _dossier(rt, 0)
    finally:
        rt.close()
    return node_dir, code


def one(work: Path, key: str) -> dict[str, object]:
    label, name, write = HOSTILE[key]
    share, staging = work / "share", work / "staging"
    share.mkdir()
    staging.mkdir()
    node_dir, code = _make_node(work, share)
    warm = _normal_scan(staging / "normal-0.pdf", code)
    first = _normal_scan(staging / "normal-1.pdf", code)
    second = _normal_scan(staging / "normal-2.pdf", code)
    bad = write(staging / name)
    size = bad.stat().st_size

    log = work / "ingest.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "ingest", "--data-dir", str(node_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    sampler = PeakSampler(process.pid)
    rt = open_node(node_dir, check=False)
    try:
        _drop(warm, share)  # the worker processes start on the first scan
        wait_for("the warm-up scan", lambda: _receipt(rt, warm.name) is not None, 120)
        alone_at = _drop(first, share)
        wait_for("the first normal scan", lambda: _receipt(rt, first.name) is not None, 120)
        alone = _iso(_receipt(rt, first.name)[2]) - alone_at  # type: ignore[index]
        hostile_at = _drop(bad, share)
        # Judged finished after STABLE_SECONDS (and a tick), then taken in hand at once.
        time.sleep(STABLE_SECONDS + 1.0)
        behind_at = _drop(second, share)
        wait_for("the second normal scan", lambda: _receipt(rt, second.name) is not None, 900)
        behind = _iso(_receipt(rt, second.name)[2]) - behind_at  # type: ignore[index]
        wait_for("the hostile file's receipt", lambda: _receipt(rt, bad.name) is not None, 900)
        outcome, reason, received = _receipt(rt, bad.name)  # type: ignore[misc]
    finally:
        rt.close()
        process.terminate()
        process.wait(120)
        server_mb, worker_mb = sampler.stop()
    return {
        "file": key,
        "label": label,
        "size_kb": round(size / 1024),
        "outcome": outcome if reason is None else f"{outcome} ({reason})",
        "seconds_to_outcome": round(_iso(received) - hostile_at, 1),
        "ingest_peak_mb": round(server_mb, 1),
        "worker_peak_mb": round(worker_mb, 1),
        "normal_alone_s": round(alone, 2),
        "normal_behind_s": round(behind, 2),
        "wait_s": round(max(0.0, behind - alone), 2),
    }


def report(rows: list[dict[str, object]]) -> None:
    head = f"{'hostile file':<36}{'KB':>7}  {'outcome':<24}{'s':>6}{'ingest MB':>11}"
    print(head + f"{'worker MB':>11}{'wait s':>8}")
    for r in rows:
        print(
            f"{r['label']!s:<36}{r['size_kb']!s:>7}  {r['outcome']!s:<24}"
            f"{r['seconds_to_outcome']!s:>6}{r['ingest_peak_mb']!s:>11}"
            f"{r['worker_peak_mb']!s:>11}{r['wait_s']!s:>8}"
        )
    peak = max(max(float(r["ingest_peak_mb"]), float(r["worker_peak_mb"])) for r in rows)  # type: ignore[arg-type]
    wait = max(float(r["wait_s"]) for r in rows)  # type: ignore[arg-type]
    print(f"largest peak: {peak:.1f} MB (aim <= {AIM_PEAK_MB:.0f})")
    print(f"longest wait of a normal scan: {wait:.2f} s (aim < {AIM_WAIT_S:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(HOSTILE), default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for key in args.only or list(HOSTILE):
        with tempfile.TemporaryDirectory(prefix="bench-hostile-", dir=args.workdir) as tmp:
            print(f"{key} ...", flush=True)
            rows.append(one(Path(tmp), key))
    report(rows)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
