"""The most any ingest could do here: decoding every page's JPEG on every core, nothing else.

A slip on any page starts the next dossier, so every page must be looked at, and a page
that is a baseline JPEG can only be looked at by entropy-decoding all of it (no restart
markers, no thumbnails in scanners' files). This times just that, at the cheapest scale
(1/8, DCT scaling: too coarse to read a QR code, so less than a slip search needs), in one
process per core, with the JPEG bytes already in memory. The ingest's own MB/s can never
exceed this figure; its ratio to ``cp`` + ``sha256sum`` is the ceiling of the issue's ratio.
"""

from __future__ import annotations

import io
import os
import time
from multiprocessing import get_context
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]
from PIL import Image


def page_jpegs(path: Path) -> list[bytes]:
    """The JPEG bytes of every image on every page, as stored (DCTDecode)."""
    doc = pdfium.PdfDocument(str(path))
    try:
        found: list[bytes] = []
        for index in range(len(doc)):
            page = doc[index]
            try:
                for obj in page.get_objects(max_depth=1):
                    if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                        found.append(bytes(obj.get_data(decode_simple=False)))
            finally:
                page.close()
        return found
    finally:
        doc.close()


def _decode_all(jpegs: list[bytes]) -> int:
    for data in jpegs:
        image = Image.open(io.BytesIO(data), formats=["JPEG"])
        image.draft("L", (image.width // 8, image.height // 8))
        image.load()
    return len(jpegs)


def decode_seconds(files: list[Path], processes: int | None = None) -> tuple[float, int]:
    """Seconds to decode every page of ``files`` at 1/8 scale in ``processes`` processes
    (default: one per core), best of three; and how many processes ran."""
    processes = processes or os.cpu_count() or 1
    work = [page_jpegs(path) for path in files]
    best = float("inf")
    with get_context("spawn").Pool(processes) as pool:
        pool.map(_decode_all, work[:processes])  # start-up and imports, not timed
        for _ in range(3):
            started = time.perf_counter()
            pool.map(_decode_all, work, chunksize=1)
            best = min(best, time.perf_counter() - started)
    return best, processes
