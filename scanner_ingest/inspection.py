"""What a finished scan is and where its pages go: parse it, read its slips, cut segments.

Contract of ``inspect``: given a finished file and its recorded name, return an
``Inspection`` whose segments cover every page once, in order, or raise ``Refused`` with a
reason code from ``reasons``. PDFs are parsed and rendered in the PDF worker process;
images with Pillow here.

Images are never split (there is no TIFF splitter, and re-encoding would alter the scan): a
multi-page image is one segment, filed by a slip on its first page or by its filename. If
its slips disagree, or a slip is not on the first page, it waits for a person with the
codes found as candidates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
from PIL import Image, ImageSequence

from scanner_ingest import reasons
from scanner_ingest.filetypes import FileKind, ValidationResult, check_file
from scanner_ingest.pdf_worker import DEFAULT_DPI, PdfWorker, PdfWorkerError, pages_per_open
from scanner_ingest.qr_matching import PageSlip, Segment, match_pages, read_page

#: Pages rendered per call to the PDF worker, so its timeout bounds one call, not a file
#: (fewer for large pages: see ``pdf_worker.BYTES_PER_OPEN``).
PAGES_PER_CALL = 16

MIME = {
    FileKind.PDF: "application/pdf",
    FileKind.TIFF: "image/tiff",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
}
_PIL_FORMATS = {FileKind.TIFF: ["TIFF"], FileKind.JPEG: ["JPEG"], FileKind.PNG: ["PNG"]}


class Refused(Exception):
    """Stop: this file is not acceptable (yet). ``reason`` is a code from ``reasons``; its
    ``retry`` flag says whether the file is tried again or quarantined at once."""

    def __init__(self, reason: str, detail: str = "") -> None:
        reasons.reason(reason)  # a code outside the closed set is a programming error
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Inspection(msgspec.Struct, frozen=True):
    kind: FileKind
    pages: int
    segments: list[Segment]
    foreign: int = 0  # QR codes that were not ours or failed the crc (ignored)

    @property
    def mime(self) -> str:
        return MIME[self.kind]


class _LazyPdf:
    """A ``PdfValidator`` that starts the PDF worker only when a PDF needs it."""

    def __init__(self, pdf: Callable[[], PdfWorker]) -> None:
        self._pdf = pdf

    def validate_pdf(self, path: Path) -> ValidationResult:
        return self._pdf().validate_pdf(path)


def inspect(
    path: Path,
    name: str,
    *,
    pdf: Callable[[], PdfWorker],
    max_bytes: int,
    pattern: re.Pattern[str],
    dpi: float = DEFAULT_DPI,
) -> Inspection:
    """See the module docstring. ``name`` (NFC) is where a dossier code may be found."""
    result = check_file(path, pdf=_LazyPdf(pdf), max_bytes=max_bytes)
    if result.reason is not None or result.kind is None:
        raise Refused(result.reason or reasons.UNPARSEABLE, result.detail)
    if result.kind is FileKind.PDF:
        slips = _pdf_slips(pdf(), path, result.pages, dpi)
        segments = match_pages(slips, name, pattern)
    else:
        slips = _image_slips(path, result.kind)
        segments = [one_segment(match_pages(slips, name, pattern), len(slips))]
    if sum(s.stop - s.start for s in segments) != result.pages:
        raise Refused(reasons.UNPARSEABLE, f"{len(slips)} pages read of {result.pages}")
    return Inspection(result.kind, result.pages, segments, sum(s.foreign for s in slips))


def page_ranges(size: int, pages: int, processes: int) -> list[range]:
    """The calls a ``size``-byte, ``pages``-page PDF is read in: consecutive ranges covering
    every page once, in order, bounded by ``PAGES_PER_CALL`` and ``pages_per_open``, and at
    least one per process when there are pages enough: reading every page for slips is the
    bulk of ingest's work, so the processes share each scan."""
    share = -(-pages // max(1, processes))  # ceiling division
    step = max(1, min(PAGES_PER_CALL, pages_per_open(size, pages), share))
    return [range(start, min(pages, start + step)) for start in range(0, pages, step)]


def _pdf_slips(worker: PdfWorker, path: Path, pages: int, dpi: float) -> list[PageSlip]:
    ranges = page_ranges(path.stat().st_size, pages, worker.processes)
    try:
        if worker.processes == 1 or len(ranges) == 1:
            parts = [worker.page_slips(path, dpi, r) for r in ranges]
        else:
            # One thread per process waits on the children; results come back in page order.
            with ThreadPoolExecutor(worker.processes, thread_name_prefix="pdf-pages") as pool:
                parts = list(pool.map(lambda r: worker.page_slips(path, dpi, r), ranges))
    except PdfWorkerError as exc:
        raise Refused(reasons.UNPARSEABLE, str(exc)) from exc
    return [slip for part in parts for slip in part]


def _image_slips(path: Path, kind: FileKind) -> list[PageSlip]:
    try:
        with Image.open(path, formats=_PIL_FORMATS[kind]) as image:
            return [read_page(frame) for frame in ImageSequence.Iterator(image)]
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        if reasons.is_transient(exc):
            raise
        raise Refused(reasons.UNPARSEABLE, f"{type(exc).__name__}: {exc}") from exc


def one_segment(segments: list[Segment], pages: int) -> Segment:
    """The segments of a file that cannot be split, as one."""
    if len(segments) == 1:
        return segments[0]
    codes: list[str] = []
    for s in segments:
        for code in (s.code, *s.candidates):
            if code is not None and code not in codes:
                codes.append(code)
    first = segments[0]
    if first.source == "qr" and len(codes) == 1:
        return Segment(0, pages, first.code, "qr")  # several slips of the same dossier
    return Segment(0, pages, None, "unmatched", tuple(codes))
