"""Child processes that decode every scan (PDFs and images), replaced when they crash or hang.

PDFium is not thread-safe and parses untrusted files, and any decoder can be made to
inflate a small file into gigabytes. So the server process never decodes a scan: it asks
here. ``PdfWorker`` owns a ``ProcessPoolExecutor(max_workers=processes)`` started with
``spawn`` (no inherited threads or locks): each child runs one call at a time, and calls
from several threads run side by side in up to ``processes`` children (started on demand).
The parent never imports PDFium: calls name a ``module:function`` that ``_dispatch``
imports in the child.

Limits: each child runs under ``RLIMIT_AS`` (``memory_limit`` bytes of address space), and
the operations refuse pages and images above a pixel budget (``pdf_ops``, ``image_ops``).
Splitting an inspected scan (``extract_pages*``) needs memory in proportion to the part, so
it runs in one more child of its own, under ``split_memory_limit``.

Failure contract:
- Over a limit: ``PdfWorkerTooLarge``. The operation refused the work (pixel budget), or
  ran out of memory (``MemoryError`` in Python, or PDFium aborting: a child that died by
  SIGABRT while running the call, as PDFium does when an allocation fails).
- A child died otherwise (segfault, OOM kill): fresh children are started and the call
  retried once; if the retry also kills the child running it, ``PdfWorkerCrashed``. Each
  child records which call it runs, so only the call whose child died is charged: a
  death breaks the whole pool, and calls running beside it are retried at no cost.
- A call ran longer than ``timeout`` seconds: the children are killed, fresh ones will start
  on the next call, and ``PdfWorkerTimeout`` is raised; ``PdfWorkerOverBudget`` (a
  ``PdfWorkerTooLarge``) if it was the caller's ``deadline`` that ran out.
- ``validate_pdf`` and ``validate_image`` never raise these: they report ``too_large``
  for the limits and ``unparseable`` for the rest, so the file is retried and, if it keeps
  failing, quarantined at give-up.
- ``FileNotFoundError`` from the child (the file vanished) is re-raised as is; any other
  exception the operation raised becomes ``PdfWorkerFailed``, so callers handle one family.
- The child exits by itself within a second of its parent's death (even by SIGKILL), so a
  killed ingest process never leaves PDFium processes behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib
import logging
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
import threading
import time
import uuid
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
#: Address space a child may map (``RLIMIT_AS``), so its resident size never exceeds it. A
#: child maps about 90 MB before any work (code, libraries), 40 MB of it resident; the pixel
#: budgets keep legitimate work far below the limit.
DEFAULT_MEMORY_LIMIT = 512 * 1024 * 1024
#: Address space of the child that splits scans. PDFium copies the pages it keeps into
#: memory to write them, so a split needs about the size of the part; it runs only on files
#: that passed inspection (within every budget), in a child of its own.
DEFAULT_SPLIT_MEMORY_LIMIT = 3 * 1024 * 1024 * 1024
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


class PdfWorkerTooLarge(PdfWorkerError):
    """The file needs more memory or pixels than a child may use."""


class PdfWorkerOverBudget(PdfWorkerTooLarge, PdfWorkerTimeout):
    """The caller's deadline (the file's time budget) ran out; the children were killed."""


class WorkTooLarge(Exception):
    """Raised by an operation, in the child, for work above a limit."""


def _running_file(running_dir: str, pid: int) -> str:
    return os.path.join(running_dir, str(pid))


_OPS = "scanner_ingest.pdf_ops"
_IMAGES = "scanner_ingest.image_ops"


def _exit_with_parent(parent_pid: int) -> None:
    """Runs in the child: leave when the parent is gone (re-parented), however it died."""
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(0)


_running_dir = ""  # in the child: where it records the call it runs
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def _child_init(parent_pid: int, memory_limit: int, running_dir: str) -> None:
    """Runs in the child at start: the memory limit, and the watchdog thread of
    :func:`_exit_with_parent`."""
    global _running_dir
    _running_dir = running_dir
    # The limit counts address space, not memory used: keep what is only reserved small.
    # One malloc arena (each thread's own would reserve 64 MB), a small stack for the
    # watchdog thread (8 MB by default).
    with contextlib.suppress(OSError):
        ctypes.CDLL(ctypes.util.find_library("c")).mallopt(_M_ARENA_MAX, 1)
    threading.stack_size(256 * 1024)
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    threading.Thread(
        target=_exit_with_parent, args=(parent_pid,), name="parent-watch", daemon=True
    ).start()


def _dispatch(call_id: str, target: str, *args: Any) -> Any:
    """Runs in the child: record ``call_id`` as running, import ``module:function`` and call
    it. Python's ``MemoryError`` is the memory limit: ``WorkTooLarge``."""
    marker = _running_file(_running_dir, os.getpid())
    with open(marker, "w", encoding="ascii") as f:
        f.write(call_id)
    try:
        module, _, function = target.partition(":")
        return getattr(importlib.import_module(module), function)(*args)
    except MemoryError as exc:
        raise WorkTooLarge(f"out of memory under the worker's limit: {exc}") from None
    finally:
        with open(marker, "w", encoding="ascii"):
            pass


class PdfWorker:
    """Owner of the PDF child process. Thread-safe; ``close()`` is idempotent."""

    def __init__(
        self,
        *,
        timeout: float = 120.0,
        processes: int = 1,
        start_method: str = "spawn",
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        split_memory_limit: int = DEFAULT_SPLIT_MEMORY_LIMIT,
    ) -> None:
        if processes < 1:
            raise ValueError(f"a PDF worker needs at least one process, got {processes}")
        self.processes = processes
        self.memory_limit = memory_limit
        self.split_memory_limit = split_memory_limit
        self._timeout = timeout
        self._running_dir = tempfile.mkdtemp(prefix="motcua-pdf-worker-")
        self._killed: set[int] = set()  # pids this side killed (timeouts), not crashes
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._split_executor: ProcessPoolExecutor | None = None
        self._closed = False

    def __enter__(self) -> PdfWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def validate_pdf(self, path: Path, deadline: float | None = None) -> ValidationResult:
        """Judge the PDF at ``path`` (see ``pdf_ops.validate_pdf``)."""
        return self._validate(FileKind.PDF, f"{_OPS}:validate_pdf", deadline, str(path))

    def validate_image(
        self, path: Path, kind: FileKind, deadline: float | None = None
    ) -> ValidationResult:
        """Judge the image at ``path`` (see ``filetypes.validate_image``)."""
        return self._validate(kind, f"{_IMAGES}:validate_image", deadline, str(path), kind)

    def image_slips(
        self, path: Path, kind: FileKind, frames: range, deadline: float | None = None
    ) -> list[PageSlip]:
        """Slip QR codes found on each of the image's ``frames``."""
        return cast(
            list[PageSlip],
            self._call(
                f"{_IMAGES}:image_slips",
                str(path),
                kind,
                frames.start,
                frames.stop,
                deadline=deadline,
            ),
        )

    def _validate(
        self, kind: FileKind, op: str, deadline: float | None, *args: Any
    ) -> ValidationResult:
        try:
            return cast(ValidationResult, self._call(op, *args, deadline=deadline))
        except PdfWorkerTooLarge as exc:
            return refused(reasons.TOO_LARGE, str(exc), kind)
        except PdfWorkerError as exc:
            return refused(reasons.UNPARSEABLE, str(exc), kind)

    def render_page(self, path: Path, index: int, dpi: float = DEFAULT_DPI) -> Image.Image:
        """Page ``index`` (0-based) as a grayscale ("L") image at ``dpi``."""
        width, height, data = cast(
            tuple[int, int, bytes], self._call(f"{_OPS}:render_page", str(path), index, dpi)
        )
        return Image.frombytes("L", (width, height), data)

    def page_slips(
        self,
        path: Path,
        dpi: float = DEFAULT_DPI,
        pages: range | None = None,
        deadline: float | None = None,
    ) -> list[PageSlip]:
        """Slip QR codes found on each page (or on ``pages``), rendered and decoded in the
        child. Ask for a long document in ranges so that ``timeout`` bounds each call."""
        bounds = () if pages is None else (pages.start, pages.stop)
        return cast(
            list[PageSlip],
            self._call(f"{_OPS}:page_slips", str(path), dpi, *bounds, deadline=deadline),
        )

    def extract_pages(self, path: Path, indices: list[int]) -> bytes:
        """A new PDF of the given pages, e.g. one segment of a split scan."""
        return cast(
            bytes, self._call(f"{_OPS}:extract_pages", str(path), list(indices), split=True)
        )

    def extract_pages_to(self, path: Path, indices: list[int], out: Path) -> int:
        """:meth:`extract_pages` written to the new file ``out`` (memory stays bounded by
        PDFium's needs, not by the size of the result); returns its size."""
        return cast(
            int,
            self._call(f"{_OPS}:extract_pages_to", str(path), list(indices), str(out), split=True),
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            executors = [self._executor, self._split_executor]
            self._executor = self._split_executor = None
        for executor in executors:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._running_dir, ignore_errors=True)

    def _call(self, op: str, *args: Any, deadline: float | None = None, split: bool = False) -> Any:
        """Run ``op`` (``module:function``) in a child (the splitting one if ``split``),
        within ``timeout`` and before ``deadline`` (``time.monotonic()``); see the module
        docstring."""
        crashes = 0
        for _ in range(10):
            timeout, over_budget = self._timeout, False
            if deadline is not None and deadline - time.monotonic() < timeout:
                timeout, over_budget = max(0.0, deadline - time.monotonic()), True
                if timeout <= 0:
                    raise PdfWorkerOverBudget(f"no time left in the file's budget for {op}")
            executor = self._get_executor(split)
            call_id = uuid.uuid4().hex
            try:
                future = executor.submit(_dispatch, call_id, op, *args)
            except RuntimeError:
                # The child died while idle (BrokenProcessPool), or another thread already
                # replaced this executor: not this call's doing, start afresh.
                self._discard(executor, kill=False)
                continue
            try:
                return future.result(timeout=timeout)
            except FileNotFoundError:
                raise
            except WorkTooLarge as exc:
                raise PdfWorkerTooLarge(f"{op}{args!r}: {exc}") from exc
            except BrokenProcessPool as exc:
                death = self._death_of(executor, call_id)
                self._discard(executor, kill=False)
                if death is None:  # a call beside it killed the pool: try again, free
                    continue
                crashes += 1
                log.warning(
                    "pdf_worker_crashed op=%s args=%r exitcode=%s crashes=%d",
                    op,
                    args,
                    death,
                    crashes,
                )
                if death == -signal.SIGABRT:
                    raise PdfWorkerTooLarge(
                        f"PDF worker aborted on {op}{args!r} (out of memory under its "
                        f"limit of {self.memory_limit >> 20} MiB)"
                    ) from exc
                if crashes == 2:
                    raise PdfWorkerCrashed(f"PDF worker crashed twice on {op}{args!r}") from exc
            except FutureTimeout as exc:
                self._discard(executor, kill=True)
                log.warning("pdf_worker_timeout op=%s args=%r timeout=%.1f", op, args, timeout)
                error = PdfWorkerOverBudget if over_budget else PdfWorkerTimeout
                raise error(f"PDF worker took more than {timeout:.1f}s on {op}{args!r}") from exc
            except Exception as exc:
                raise PdfWorkerFailed(f"{op}{args!r}: {type(exc).__name__}: {exc}") from exc
        raise PdfWorkerCrashed(f"PDF worker kept failing to start for {op}{args!r}")

    def _death_of(self, executor: ProcessPoolExecutor, call_id: str) -> int | None:
        """The exit code of the child that died running ``call_id``; None if no child died
        running it (it was killed beside another, or never started)."""
        for process in list((executor._processes or {}).values()):
            process.join(5)  # the pool is broken: its children are exiting
            pid, code = process.pid, process.exitcode
            # SIGTERM: the pool stopping the children that survived; SIGKILL from here: a
            # timeout. Neither is a crash of the call the child ran.
            if pid is None or code in (None, 0, -signal.SIGTERM) or pid in self._killed:
                continue
            try:
                with open(_running_file(self._running_dir, pid), encoding="ascii") as f:
                    if f.read() == call_id:
                        return code
            except FileNotFoundError:
                continue
        return None

    def _get_executor(self, split: bool = False) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("PdfWorker is closed")
            if split:
                if self._split_executor is None:
                    self._split_executor = self._new_executor(1, self.split_memory_limit)
                return self._split_executor
            if self._executor is None:
                self._executor = self._new_executor(self.processes, self.memory_limit)
            return self._executor

    def _new_executor(self, processes: int, memory_limit: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=processes,
            mp_context=self._context,
            initializer=_child_init,
            initargs=(os.getpid(), memory_limit, self._running_dir),
        )

    def _discard(self, executor: ProcessPoolExecutor, *, kill: bool) -> None:
        """Drop ``executor`` (if still current) so the next call starts a fresh child."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
            if self._split_executor is executor:
                self._split_executor = None
        if kill:
            for process in list((executor._processes or {}).values()):
                if process.pid is not None:
                    self._killed.add(process.pid)
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
