"""Child processes that do all PDF work, replaced when they crash or hang.

PDFium is not thread-safe and parses untrusted files. ``PdfWorker`` owns a
``ProcessPoolExecutor(max_workers=processes)`` started with ``spawn`` (no inherited threads
or locks): each child runs one call at a time, and calls from several threads run side by
side in up to ``processes`` children (started on demand). The parent never imports PDFium:
calls name a ``module:function`` that ``_dispatch`` imports in the child.

Failure contract:
- A child died (segfault, OOM kill): fresh children are started and the call retried once;
  if the retry also kills one, ``PdfWorkerCrashed`` (the file is the likely cause). A death
  breaks the whole pool, so calls running beside it are retried the same way.
- A call ran longer than ``timeout`` seconds: the children are killed, fresh ones will start
  on the next call, and ``PdfWorkerTimeout`` is raised.
- ``validate_pdf`` never raises these: it reports them as ``unparseable``, so the file is
  retried and, if it keeps failing, quarantined at give-up.
- ``FileNotFoundError`` from the child (the file vanished) is re-raised as is; any other
  exception the operation raised becomes ``PdfWorkerFailed``, so callers handle one family.
- The child exits by itself within a second of its parent's death (even by SIGKILL), so a
  killed ingest process never leaves PDFium processes behind.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, cast

from PIL import Image

from scanner_ingest import reasons
from scanner_ingest.filetypes import FileKind, ValidationResult, refused
from scanner_ingest.qr_matching import PageSlip

log = logging.getLogger(__name__)

#: Default render resolution for finding slip QR codes.
DEFAULT_DPI = 200
#: PDFium keeps every object it parsed (a page's images included) until the document is
#: closed, so a large scan is worked on a few pages per opening, about this many bytes.
BYTES_PER_OPEN = 32 * 1024 * 1024


def pages_per_open(size: int, pages: int) -> int:
    """How many pages of a ``size``-byte, ``pages``-page PDF to load per opening."""
    return max(1, min(pages, BYTES_PER_OPEN * pages // max(size, 1)))


class PdfWorkerError(Exception):
    """The PDF worker could not complete a call."""


class PdfWorkerCrashed(PdfWorkerError):
    """The worker process died twice on the same call."""


class PdfWorkerTimeout(PdfWorkerError):
    """The call exceeded the timeout; the worker process was killed."""


class PdfWorkerFailed(PdfWorkerError):
    """The operation raised in the child (PDFium refused the file, a page is missing...)."""


_OPS = "scanner_ingest.pdf_ops"


def _exit_with_parent(parent_pid: int) -> None:
    """Runs in the child: leave when the parent is gone (re-parented), however it died."""
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(0)


def _child_init(parent_pid: int) -> None:
    """Runs in the child at start: the watchdog thread of :func:`_exit_with_parent`."""
    threading.Thread(
        target=_exit_with_parent, args=(parent_pid,), name="parent-watch", daemon=True
    ).start()


def _dispatch(target: str, *args: Any) -> Any:
    """Runs in the child: import ``module:function`` and call it."""
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)(*args)


class PdfWorker:
    """Owner of the PDF child process. Thread-safe; ``close()`` is idempotent."""

    def __init__(
        self, *, timeout: float = 120.0, processes: int = 1, start_method: str = "spawn"
    ) -> None:
        if processes < 1:
            raise ValueError(f"a PDF worker needs at least one process, got {processes}")
        self.processes = processes
        self._timeout = timeout
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def __enter__(self) -> PdfWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def validate_pdf(self, path: Path) -> ValidationResult:
        """Judge the PDF at ``path`` (see ``pdf_ops.validate_pdf``)."""
        try:
            return cast(ValidationResult, self._call(f"{_OPS}:validate_pdf", str(path)))
        except PdfWorkerError as exc:
            return refused(reasons.UNPARSEABLE, str(exc), FileKind.PDF)

    def render_page(self, path: Path, index: int, dpi: float = DEFAULT_DPI) -> Image.Image:
        """Page ``index`` (0-based) as a grayscale ("L") image at ``dpi``."""
        width, height, data = cast(
            tuple[int, int, bytes], self._call(f"{_OPS}:render_page", str(path), index, dpi)
        )
        return Image.frombytes("L", (width, height), data)

    def page_slips(
        self, path: Path, dpi: float = DEFAULT_DPI, pages: range | None = None
    ) -> list[PageSlip]:
        """Slip QR codes found on each page (or on ``pages``), rendered and decoded in the
        child. Ask for a long document in ranges so that ``timeout`` bounds each call."""
        if pages is None:
            return cast(list[PageSlip], self._call(f"{_OPS}:page_slips", str(path), dpi))
        return cast(
            list[PageSlip],
            self._call(f"{_OPS}:page_slips", str(path), dpi, pages.start, pages.stop),
        )

    def extract_pages(self, path: Path, indices: list[int]) -> bytes:
        """A new PDF of the given pages, e.g. one segment of a split scan."""
        return cast(bytes, self._call(f"{_OPS}:extract_pages", str(path), list(indices)))

    def extract_pages_to(self, path: Path, indices: list[int], out: Path) -> int:
        """:meth:`extract_pages` written to the new file ``out`` (memory stays bounded by
        PDFium's needs, not by the size of the result); returns its size."""
        return cast(int, self._call(f"{_OPS}:extract_pages_to", str(path), list(indices), str(out)))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _call(self, op: str, *args: Any) -> Any:
        """Run ``op`` (``module:function``) in the child; see the module docstring."""
        crashes = 0
        for _ in range(5):
            executor = self._get_executor()
            try:
                future = executor.submit(_dispatch, op, *args)
            except RuntimeError:
                # The child died while idle (BrokenProcessPool), or another thread already
                # replaced this executor: not this call's doing, start afresh.
                self._discard(executor, kill=False)
                continue
            try:
                return future.result(timeout=self._timeout)
            except FileNotFoundError:
                raise
            except BrokenProcessPool as exc:
                crashes += 1
                self._discard(executor, kill=False)
                log.warning("pdf_worker_crashed op=%s args=%r crashes=%d", op, args, crashes)
                if crashes == 2:
                    raise PdfWorkerCrashed(f"PDF worker crashed twice on {op}{args!r}") from exc
            except FutureTimeout as exc:
                self._discard(executor, kill=True)
                log.warning("pdf_worker_timeout op=%s args=%r timeout=%s", op, args, self._timeout)
                raise PdfWorkerTimeout(
                    f"PDF worker took more than {self._timeout}s on {op}{args!r}"
                ) from exc
            except Exception as exc:
                raise PdfWorkerFailed(f"{op}{args!r}: {type(exc).__name__}: {exc}") from exc
        raise PdfWorkerCrashed(f"PDF worker kept failing to start for {op}{args!r}")

    def _get_executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("PdfWorker is closed")
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=self._context,
                    initializer=_child_init,
                    initargs=(os.getpid(),),
                )
            return self._executor

    def _discard(self, executor: ProcessPoolExecutor, *, kill: bool) -> None:
        """Drop ``executor`` (if still current) so the next call starts a fresh child."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        if kill:
            for process in list((executor._processes or {}).values()):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
