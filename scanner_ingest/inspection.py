"""What a finished scan is and where its pages go: parse it, read its slips, cut segments.

Contract of ``inspect``: given a finished file and its recorded name, return an
``Inspection`` whose segments cover every page once, in order, or raise ``Refused`` with a
reason code from ``reasons``. Every file is decoded in the worker processes
(``pdf_worker``), under their memory limit and pixel budgets, and within a time budget that
grows with the file's size and page count (``budgets.time_budget``); what exceeds a limit is
``too_large``. Any other failure to inspect a file is ``unparseable``: inspection writes
nothing, so a file can only be retried and, at give-up, quarantined.

Images are never split (there is no TIFF splitter, and re-encoding would alter the scan): a
multi-page image is one segment, filed by a slip on its first page or by its filename. If
its slips disagree, or a slip is not on the first page, it waits for a person with the
codes found as candidates.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec

from node.file_types import MIME
from scanner_ingest import reasons
from scanner_ingest.budgets import time_budget
from scanner_ingest.filetypes import FileKind, ValidationResult, check_file
from scanner_ingest.pdf_worker import (
    DEFAULT_DPI,
    PdfWorker,
    PdfWorkerError,
    PdfWorkerTooLarge,
    pages_per_open,
)
from scanner_ingest.qr_matching import PageSlip, Segment, match_pages

#: Pages rendered per call to the PDF worker, so its timeout bounds one call, not a file
#: (fewer for large pages: see ``pdf_worker.BYTES_PER_OPEN``). Few, because files take turns
#: in the worker processes call by call: a scan that arrives while a long one is read waits
#: for at most one such call in each process (a page is at most ``MAX_READ_PIXELS``).
PAGES_PER_CALL = 4


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


class _Budgeted:
    """A ``filetypes.Decoder``: the worker, asked to finish before ``deadline``."""

    def __init__(self, pdf: Callable[[], PdfWorker], deadline: float) -> None:
        self._pdf = pdf
        self._deadline = deadline

    def validate_pdf(self, path: Path) -> ValidationResult:
        return self._pdf().validate_pdf(path, self._deadline)

    def validate_image(self, path: Path, kind: FileKind) -> ValidationResult:
        return self._pdf().validate_image(path, kind, self._deadline)


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
    started = time.monotonic()
    size = path.stat().st_size
    result = check_file(path, pdf=_Budgeted(pdf, started + time_budget(size)), max_bytes=max_bytes)
    if result.reason is not None or result.kind is None:
        raise Refused(result.reason or reasons.UNPARSEABLE, result.detail)
    deadline = started + time_budget(size, result.pages)
    try:
        if result.kind is FileKind.PDF:
            slips = _pdf_slips(pdf(), path, result.pages, dpi, deadline)
            segments = match_pages(slips, name, pattern)
        else:
            slips = _image_slips(pdf(), path, result.kind, result.pages, deadline)
            segments = [one_segment(match_pages(slips, name, pattern), len(slips))]
    except PdfWorkerTooLarge as exc:
        raise Refused(reasons.TOO_LARGE, str(exc)) from exc
    except PdfWorkerError as exc:
        raise Refused(reasons.UNPARSEABLE, str(exc)) from exc
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


def _pdf_slips(
    worker: PdfWorker, path: Path, pages: int, dpi: float, deadline: float
) -> list[PageSlip]:
    ranges = page_ranges(path.stat().st_size, pages, worker.processes)

    def read(pages: range) -> list[PageSlip]:
        return worker.page_slips(path, dpi, pages, deadline)

    if worker.processes == 1 or len(ranges) == 1:
        parts = [read(r) for r in ranges]
    else:
        # One thread per process waits on the children; results come back in page order.
        with ThreadPoolExecutor(worker.processes, thread_name_prefix="pdf-pages") as pool:
            parts = list(pool.map(read, ranges))
    return [slip for part in parts for slip in part]


def _image_slips(
    worker: PdfWorker, path: Path, kind: FileKind, frames: int, deadline: float
) -> list[PageSlip]:
    """Every frame's slips, in calls of ``PAGES_PER_CALL`` frames."""
    slips: list[PageSlip] = []
    for start in range(0, frames, PAGES_PER_CALL):
        stop = min(frames, start + PAGES_PER_CALL)
        slips += worker.image_slips(path, kind, range(start, stop), deadline)
    return slips


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
