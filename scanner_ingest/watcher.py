"""Change hints for one drop folder from watchfiles, in a thread that survives errors.

Events are hints, rescans are truth. The watcher only tells the service which paths to
look at (``hint(folder, path)``) and asks for a full rescan (``hint(folder, None)``)
whenever events may have been lost: after an error, and after every restart. It restarts
when its folder was deleted or replaced (inotify keeps watching the old, dead folder), with
a growing pause after errors (1 s to 30 s). Folders on network mounts are polled
(``DropFolder.poll``): no inotify event tells of a file written by another machine.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from scanner_ingest.folders import DropFolder, ensure

log = logging.getLogger(__name__)

Hint = Callable[[DropFolder, Path | None], None]
POLL_DELAY_MS = 1000
MAX_BACKOFF_SECONDS = 30.0


class _Either:
    """An event for watchfiles' ``stop_event``: set when either of two events is."""

    def __init__(self, a: threading.Event, b: threading.Event) -> None:
        self._a, self._b = a, b

    def is_set(self) -> bool:
        return self._a.is_set() or self._b.is_set()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


class FolderWatcher:
    """One thread watching ``folder``; ``start`` once, ``stop`` is idempotent."""

    def __init__(self, folder: DropFolder, hint: Hint) -> None:
        self.folder = folder
        self._hint = hint
        self._stop = threading.Event()
        self._restart = threading.Event()
        self._thread: threading.Thread | None = None
        self._root_id: tuple[int, int] | None = None
        self.watching = False
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"ingest-watch-{self.folder.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def check_root(self) -> None:
        """Restart if the folder is not the one being watched (deleted, recreated)."""
        if self.watching and _identity(self.folder.root) != self._root_id:
            log.warning("ingest_watcher_restart folder=%s why=folder_replaced", self.folder.name)
            self._restart.set()

    def _wanted(self, _change: watchfiles.Change, raw: str) -> bool:
        path = Path(raw)
        return path == self.folder.root or self.folder.is_candidate_path(path)

    def _run(self) -> None:
        backoff = 1.0
        first = True
        while not self._stop.is_set():
            self._restart.clear()
            if not first:
                self._hint(self.folder, None)  # events may have been missed meanwhile
            first = False
            try:
                ensure(self.folder)
                self._root_id = _identity(self.folder.root)
                self.watching = True
                self._watch()
                backoff = 1.0
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "ingest_watcher_error folder=%s error=%s retry_in=%.0fs",
                    self.folder.name,
                    self.last_error,
                    backoff,
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            finally:
                self.watching = False

    def _watch(self) -> None:
        root = self.folder.root
        watching_since_rescan = False
        for changes in watchfiles.watch(
            root,
            watch_filter=self._wanted,
            stop_event=_Either(self._stop, self._restart),
            debounce=50,
            step=20,
            rust_timeout=1000,
            yield_on_timeout=True,
            force_polling=self.folder.poll,
            poll_delay_ms=POLL_DELAY_MS,
            raise_interrupt=False,
            ignore_permission_denied=True,
        ):
            if not watching_since_rescan:
                # The watch is live from the first yield on; a file dropped after the
                # start-up rescan but before this point raised no event, so look again.
                self._hint(self.folder, None)
                watching_since_rescan = True
            for _change, raw in changes:
                path = Path(raw)
                if path == root or not os.path.lexists(root):
                    self._restart.set()  # the folder itself went away
                    continue
                self._hint(self.folder, path)
            self.last_error = None
