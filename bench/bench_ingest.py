"""Scanner ingest: throughput against ``cp`` + ``sha256sum``, latency, memory, in one run.

A real ``motcua ingest`` process watches a drop folder of a fresh node. Three phases:

- **throughput**: ``--files`` scans of about 10 MB each (a receipt slip and 300 dpi colour
  pages, JPEG in PDF, as office scanners write them) are renamed into the folder at once.
  Ingest MB/s = their bytes ÷ (last commit − first "file judged finished"), from the
  receipts. Every page is rendered and searched for QR slips, every file is copied into the
  content store with fsync and committed. The same files are also copied with ``cp`` and
  hashed with ``sha256sum`` (median of three runs, no fsync, as the issue states it).
- **latency**: ``--scans`` typical scans (a slip and one page, 300 dpi grey, ~1.5 MB) are
  dropped one at a time, each once the previous is committed, so no queueing is measured:
  "file judged finished" → "document committed" (the commit returned), p50/p99, from the
  ``stable_to_commit_ms`` field the service logs for every scan.
- **memory**: VmHWM (peak resident size) of the ingest process and of its PDF worker child.

Run: ``uv run python -m bench.bench_ingest [--files 20] [--scans 60] [--json f]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import tomli_w
from PIL import Image, ImageDraw

from bench.ingest_ceiling import decode_seconds
from cli.init_cmd import initialise
from node.dossier_service import PersonIn, ReceiveRequest, receive
from node.runtime import NodeRuntime, open_node
from rules.permissions import seeding_machine
from scanner_ingest.slip import slip_png

AIM_RATIO = 0.70  # ingest MB/s at least 70 % of cp + sha256sum
AIM_P99_MS = 300.0
A4_300DPI = (2480, 3508)
MB = 1024 * 1024


# --- scans -------------------------------------------------------------------------------


def _page(rng: random.Random, mode: str, size: tuple[int, int], code: str | None) -> Image.Image:
    """An A4 page like a scan: paper noise, ruled lines, text, a slip QR if ``code``."""
    page = Image.effect_noise(size, 12).point(lambda v: 200 + v // 5).convert(mode)
    draw = ImageDraw.Draw(page)
    dpi = round(size[0] / 8.27)
    for y in range(dpi * 2, size[1] - dpi, dpi // 3):
        draw.line((dpi, y, size[0] - dpi, y), fill="#555555" if mode == "RGB" else 85, width=2)
    draw.text((dpi, dpi), f"TRANG {rng.randrange(10**6)}", fill="black" if mode == "RGB" else 0)
    if code is not None:
        qr = Image.open(io.BytesIO(slip_png(code, dpi))).convert(mode)
        page.paste(qr, (size[0] - qr.width - dpi // 2, dpi // 2))
    return page


def _jpeg(page: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    page.save(out, "JPEG", quality=quality, dpi=(300, 300))
    return out.getvalue()


def write_pdf(path: Path, pages: list[tuple[bytes, int, int, str]], tag: str) -> int:
    """A PDF of JPEG pages (DCTDecode: the bytes are embedded as they are)."""
    offsets: list[int] = []
    n = len(pages)
    with path.open("wb") as f:

        def obj(body: bytes, stream: bytes | None = None) -> None:
            offsets.append(f.tell())
            f.write(b"%d 0 obj\n%s\n" % (len(offsets), body))
            if stream is not None:
                f.write(b"stream\n" + stream + b"\nendstream\n")
            f.write(b"endobj\n")

        f.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        obj(b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % (4 + 3 * i) for i in range(n))
        obj(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n))
        obj(b"<< /Producer (bench %s) >>" % tag.encode())  # makes every file's bytes unique
        draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
        for i, (data, width, height, space) in enumerate(pages):
            obj(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (5 + 3 * i, 6 + 3 * i)
            )
            obj(b"<< /Length %d >>" % len(draw), draw)
            obj(
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s "
                b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>"
                % (width, height, space.encode(), len(data)),
                data,
            )
        xref = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        f.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
        f.write(
            b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(offsets) + 1, xref)
        )
        return f.tell()


def make_scans(
    out: Path, codes: list[str], count: int, target: int, mode: str, seed: int, pages: int = 1
) -> list[Path]:
    """``count`` PDFs of at least ``pages`` pages and about ``target`` bytes: a slip page,
    then filler pages."""
    rng = random.Random(seed)
    space = "DeviceRGB" if mode == "RGB" else "DeviceGray"
    slips = {c: (_jpeg(_page(rng, mode, A4_300DPI, c), 85), *A4_300DPI, space) for c in codes}
    fillers = [(_jpeg(_page(rng, mode, A4_300DPI, None), 92), *A4_300DPI, space) for _ in range(4)]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        code = codes[i % len(codes)]
        chosen = [slips[code]]
        while (
            len(chosen) < pages or sum(len(p[0]) for p in chosen) < target - len(fillers[0][0]) // 2
        ):
            chosen.append(fillers[len(chosen) % len(fillers)])
        path = out / f"SCN_{seed}_{i:04d}.pdf"
        write_pdf(path, chosen, f"{seed}-{i}-{rng.random()}")
        paths.append(path)
    return paths


# --- the node and the ingest process ----------------------------------------------------


def make_node(work: Path, share: Path, dossiers: int) -> tuple[Path, list[str]]:
    node_dir = work / "node"
    initialise(node_dir, "000.00.15.H42", "xa-bench", sample_catalog=True)
    section = {"ingest": {"folder": [{"path": str(share), "name": "may-1", "stable_seconds": 0.5}]}}
    with (node_dir / "motcua.toml").open("a", encoding="utf-8") as f:
        f.write("\n" + tomli_w.dumps(section))
    rt = open_node(node_dir)
    try:
        codes = [_dossier(rt, i) for i in range(dossiers)]
    finally:
        rt.close()
    return node_dir, codes


def _dossier(rt: NodeRuntime, i: int) -> str:
    req = ReceiveRequest(
        procedure_code="1.000894",
        applicant=PersonIn(full_name=f"Nguyễn Văn {i}"),
        channel="in_person",
    )
    return receive(rt, req, seeding_machine("bench")).code


def receipts(rt: NodeRuntime) -> list[tuple[str, str, int, str]]:
    """(stable_at, received_at, size, outcome) of every finished receipt, in commit order."""
    return [
        (str(a), str(b), int(c), str(d))
        for a, b, c, d in rt.db.read().execute(
            "SELECT stable_at, received_at, size, outcome FROM scan_receipts "
            "WHERE disposed_at IS NOT NULL ORDER BY received_at"
        )
    ]


def wait_for(what: str, check: Callable[[], bool], timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        time.sleep(0.02)


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def baseline(files: list[Path], work: Path) -> float:
    """Seconds for ``cp`` of all files plus ``sha256sum`` of the copies (median of 3)."""
    times = []
    for run in range(3):
        dest = work / f"cp-{run}"
        dest.mkdir()
        started = time.perf_counter()
        subprocess.run(["cp", *map(str, files), str(dest)], check=True)
        subprocess.run(
            ["sha256sum", *map(str, sorted(dest.iterdir()))], check=True, stdout=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - started)
        for copy in dest.iterdir():
            copy.unlink()
        dest.rmdir()
    return statistics.median(times)


def drop(files: list[Path], share: Path) -> None:
    for path in files:
        os.replace(path, share / path.name)  # same filesystem: appears complete, at once


def run(work: Path, args: argparse.Namespace) -> dict[str, object]:
    share = work / "share"
    staging = work / "staging"
    share.mkdir()
    node_dir, codes = make_node(work, share, dossiers=4)
    print(f"generating {args.files} scans of ~{args.mb} MB and {args.scans} small ones ...")
    big = make_scans(staging / "big", codes, args.files, args.mb * MB, "RGB", seed=1)
    small = make_scans(staging / "small", codes, args.scans + 1, 0, "L", seed=2, pages=2)
    big_bytes = sum(p.stat().st_size for p in big)
    cp_seconds = baseline(big, work)
    ceiling_seconds, cores = decode_seconds(big)

    log = work / "ingest.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "ingest", "--data-dir", str(node_dir)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    rt = open_node(node_dir, check=False)
    try:
        # Warm-up: the PDF worker process starts on the first PDF.
        drop(small[:1], share)
        wait_for("the warm-up scan", lambda: len(receipts(rt)) >= 1, 120)
        # Latency: one scan at a time.
        for i, path in enumerate(small[1:], start=2):
            drop([path], share)
            wait_for("a scan", lambda i=i: len(receipts(rt)) >= i, 120)  # type: ignore[misc]
        # Throughput: all at once.
        done = len(receipts(rt))
        drop(big, share)
        wait_for("the 10 MB scans", lambda: len(receipts(rt)) >= done + len(big))
        ingest_kb = peak_kb(process.pid)
        worker_kb = max((peak_kb(c) for c in children(process.pid)), default=0)
        rows = receipts(rt)
    finally:
        rt.close()
        process.terminate()
        process.wait(60)

    burst = rows[-len(big) :]
    assert all(r[3] == "attached" for r in rows), "every scan should be attached by its slip"
    assert sum(r[2] for r in burst) == big_bytes
    span = max(_iso(r[1]) for r in burst) - min(_iso(r[0]) for r in burst)
    text = log.read_text()
    timings = [float(m) for m in re.findall(r"stable_to_commit_ms=([0-9.]+)", text)]
    inspecting = [float(m) for m in re.findall(r"inspect_ms=([0-9.]+)", text)]
    small_ms, big_ms = timings[1 : 1 + args.scans], timings[-len(big) :]
    big_inspect_s = sum(inspecting[-len(big) :]) / 1000
    return {
        "files": len(big),
        "mean_file_mb": round(big_bytes / len(big) / MB, 2),
        "ingest_mb_s": round(big_bytes / MB / span, 1),
        "cp_sha256sum_mb_s": round(big_bytes / MB / cp_seconds, 1),
        "ratio": round(cp_seconds / span, 3),
        "inspect_share": round(big_inspect_s / span, 3),
        "ingest_mb_s_without_inspection": round(big_bytes / MB / (span - big_inspect_s), 1),
        "ceiling_cores": cores,
        "ceiling_mb_s": round(big_bytes / MB / ceiling_seconds, 1),
        "ceiling_ratio": round(cp_seconds / ceiling_seconds, 3),
        "small_scans": len(small_ms),
        "small_scan_kb": round(
            statistics.mean(p.stat().st_size for p in (share / "processed").rglob("SCN_2_*")) / 1024
        ),
        "latency_p50_ms": round(percentile(small_ms, 0.50), 1),
        "latency_p99_ms": round(percentile(small_ms, 0.99), 1),
        "latency_10mb_p50_ms": round(percentile(big_ms, 0.50), 1),
        "latency_10mb_p99_ms": round(percentile(big_ms, 0.99), 1),
        "ingest_vmhwm_mb": round(ingest_kb / 1024, 1),
        "pdf_worker_vmhwm_mb": round(worker_kb / 1024, 1),
    }


def report(r: dict[str, object]) -> None:
    lines = [
        (f"throughput, {r['files']} scans of {r['mean_file_mb']} MB", ""),
        ("  ingest (MB/s)", r["ingest_mb_s"]),
        ("  cp + sha256sum (MB/s)", r["cp_sha256sum_mb_s"]),
        ("  ratio", f"{r['ratio']:.1%}  (aim >= {AIM_RATIO:.0%})"),
        ("  share of time parsing + reading slips", f"{r['inspect_share']:.1%}"),
        ("  ingest without that (MB/s)", r["ingest_mb_s_without_inspection"]),
        (
            f"ceiling: decode every page's JPEG, {r['ceiling_cores']} cores (MB/s)",
            r["ceiling_mb_s"],
        ),
        ("  ceiling ratio to cp + sha256sum", f"{r['ceiling_ratio']:.1%}"),
        (f"latency, {r['small_scans']} scans of {r['small_scan_kb']} kB, one at a time", ""),
        ("  finished -> committed p50 (ms)", r["latency_p50_ms"]),
        ("  finished -> committed p99 (ms)", r["latency_p99_ms"]),
        (
            "  (10 MB scans p50 / p99, ms)",
            f"{r['latency_10mb_p50_ms']} / {r['latency_10mb_p99_ms']}",
        ),
        ("memory (VmHWM, MB)", ""),
        ("  ingest process", r["ingest_vmhwm_mb"]),
        ("  PDF worker process", r["pdf_worker_vmhwm_mb"]),
    ]
    for label, value in lines:
        print(f"{label:<56}{value!s:>20}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20, help="10 MB scans for throughput")
    parser.add_argument("--mb", type=int, default=10, help="size of those scans, MB")
    parser.add_argument("--scans", type=int, default=60, help="small scans for latency")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the node and the drop folder go, i.e. the disk measured [default: temp]",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-", dir=args.workdir) as tmp:
        result = run(Path(tmp), args)
    report(result)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
