"""The ingest service: watchers feed hints, one loop decides and takes finished files.

One loop thread owns the stability trackers and decides; the pipeline runs for each file in
a lane thread of its own (``lanes``): files are taken one at a time, in the order they
became finished, but one in hand for over a second no longer holds back the next (up to
``pdf_processes + 1`` at once). The loop wakes for hints from the watchers, for lanes that
finished, every
``tick`` to look again at the files it tracks (stability needs repeated observations), and
for full rescans: at start-up, every ``ingest.rescan_seconds`` and whenever a watcher asks
(after an error or restart). A file the node itself failed on (disk full, database busy)
is retried after ``retry_seconds`` without counting towards its give-up time.

Only one ingest runs per node: ``start`` takes an exclusive lock on ``DIR/ingest/lock``
(``IngestBusy`` if another process holds it). The worker processes, which decode every
scan, are started on the first scan and closed by ``stop``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import stat
import threading
import time
from pathlib import Path

from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from scanner_ingest import folders as folders_mod
from scanner_ingest import receipts, status
from scanner_ingest.codes import code_regex
from scanner_ingest.folders import DropFolder
from scanner_ingest.inspection import Refused
from scanner_ingest.lanes import InHand, Lanes
from scanner_ingest.pdf_worker import PdfWorker
from scanner_ingest.pipeline import (
    Drop,
    Pipeline,
    SourceChanged,
    WorkerUnavailable,
    faults_from_env,
)
from scanner_ingest.quarantine import give_up
from scanner_ingest.stability import Readiness, StabilityTracker, Verdict
from scanner_ingest.watcher import FolderWatcher

log = logging.getLogger(__name__)

_WAKE = ("", None)  # a hint that only wakes the loop: a lane finished


class IngestBusy(Exception):
    """Another process already runs ingest for this node."""


class IngestService:
    def __init__(self, rt: NodeRuntime, *, pdf: PdfWorker | None = None) -> None:
        """``pdf``: a PDF worker to use and leave open (tests share one); by default the
        service starts its own on the first PDF and closes it in ``stop``."""
        self.rt = rt
        self.settings = rt.config.ingest
        self.folders = folders_mod.resolve(self.settings, rt.data_dir)
        self._by_name = {f.name: f for f in self.folders}
        self._trackers = {
            f.name: StabilityTracker(
                f.stable_seconds, f.give_up_seconds, self.settings.retry_seconds
            )
            for f in self.folders
        }
        shortest = min((f.stable_seconds for f in self.folders), default=5.0)
        self.tick = min(1.0, max(0.05, shortest / 3))
        self._hints: queue.SimpleQueue[tuple[str, Path | None]] = queue.SimpleQueue()
        self._watchers = [FolderWatcher(f, self._hint) for f in self.folders]
        self._pdf: PdfWorker | None = pdf
        self._own_pdf = pdf is None
        self._pdf_lock = threading.Lock()
        self.pipeline = Pipeline(
            rt,
            self._pdf_worker,
            pattern=code_regex(rt.config.node.dossier_code_pattern),
            faults=faults_from_env(),
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: time.monotonic() of the loop's last turn (None before the first): the service
        #: watchdog pings systemd only while it moves (cli/service_watchdog.py).
        self.last_beat: float | None = None
        self._lock_file: int | None = None
        self._not_before: dict[Path, float] = {}  # node-side failure: retry after this
        # The disk is full (storage.faults): no file is taken, each stays in its folder;
        # decided once per turn of the loop; tried again RETRY_SECONDS after a refusal.
        self._paused = False
        self._lanes = Lanes(
            self.settings.pdf_processes + 1, self.pipeline.take, lambda: self._hints.put(_WAKE)
        )
        self._giving_up = give_up.QuarantineStep(rt)
        self._status = status.StatusWriter(rt.data_dir, self.folders)
        # Counts since start (for logs, status and tests).
        self.taken = 0
        self.refused = 0
        self.quarantined = 0
        self.rescans = 0

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._lock_file = status.acquire_lock(self.rt.data_dir)
        if self._lock_file is None:
            raise IngestBusy(
                f"ingest already runs for {self.rt.data_dir} in another process "
                f"(pid {status.lock_holder(self.rt.data_dir) or '?'})"
            )
        for folder in self.folders:
            try:
                folders_mod.ensure(folder)
            except OSError as exc:  # the watcher and the rescans keep trying
                log.error("ingest_folder_unusable folder=%s error=%s", folder.name, exc)
            log.info(
                "ingest_folder folder=%s path=%s poll=%s processed=%s quarantine=%s",
                folder.name,
                folder.root,
                folder.poll,
                folder.processed,
                folder.quarantine,
            )
        logging.getLogger("watchfiles").setLevel(logging.WARNING)  # one line per change
        for watcher in self._watchers:
            watcher.start()
        self._thread = threading.Thread(target=self._run, name="ingest-loop", daemon=True)
        self._thread.start()

    def start_if_free(self) -> bool:
        """``start``, or log and return False when another process runs ingest."""
        try:
            self.start()
        except IngestBusy as exc:
            log.warning("ingest_not_started reason=%s", exc)
            return False
        return True

    def stop(self, timeout: float = 60.0) -> None:
        """Finish the files in hand, stop the threads and the PDF worker; idempotent."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for watcher in self._watchers:
            watcher.stop()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        self._lanes.join(deadline)
        if self._thread is None or not self._thread.is_alive():
            self._finish_done()  # the loop has ended: its outcomes are applied (and logged) here
        with self._pdf_lock:
            pdf, self._pdf = self._pdf, None
        if pdf is not None and self._own_pdf:
            pdf.close()
        if self._lock_file is not None:
            self._status.write(self._snapshot(running=False), force=True)
            os.close(self._lock_file)  # releases the lock
            self._lock_file = None

    def _pdf_worker(self) -> PdfWorker:
        with self._pdf_lock:
            if self._pdf is None:
                if self._stop.is_set():
                    raise WorkerUnavailable("ingest is stopping")
                self._pdf = PdfWorker(processes=self.settings.pdf_processes)
            return self._pdf

    def _hint(self, folder: DropFolder, path: Path | None) -> None:
        self._hints.put((folder.name, path))

    # --- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
        next_rescan = 0.0
        first = True
        while not self._stop.is_set():
            self.last_beat = time.monotonic()
            try:
                faults = self.rt.faults
                self._paused = faults.disk_full_now() and not faults.may_retry()
                if time.monotonic() >= next_rescan:
                    present = {f.name: self._rescan(f) for f in self.folders}
                    next_rescan = time.monotonic() + self.settings.rescan_seconds
                    if first:
                        self._settle_undisposed(present)
                        first = False
                self._drain_hints(min(self.tick, max(0.0, next_rescan - time.monotonic())))
                self._finish_done()
                for folder in self.folders:
                    self._observe_tracked(folder)
                self._status.write(self._snapshot(running=True))
            except Exception:
                log.exception("ingest_loop_error")
                self._stop.wait(1.0)

    def _drain_hints(self, timeout: float) -> None:
        try:
            first = self._hints.get(timeout=timeout)
        except queue.Empty:
            return
        hints = {first}
        while True:
            try:
                hints.add(self._hints.get_nowait())
            except queue.Empty:
                break
        hints.discard(_WAKE)
        rescans = {name for name, path in hints if path is None}
        for name in rescans:
            self._rescan(self._by_name[name])
        for name, path in sorted(hints, key=lambda h: str(h[1])):
            if path is not None and name not in rescans and not self._stop.is_set():
                self._observe_hinted(self._by_name[name], path)

    def _rescan(self, folder: DropFolder) -> set[str] | None:
        """Look at every file of ``folder``; return their recorded names (None: failed)."""
        tracker = self._trackers[folder.name]
        present: dict[Path, os.stat_result] = {}
        try:
            folders_mod.ensure(folder)
            present = dict(folders_mod.scan(folder))
        except OSError as exc:
            log.warning("ingest_scan_failed folder=%s error=%s", folder.name, exc)
            self._status.folder_error(folder.name, f"{type(exc).__name__}: {exc}")
            return None
        watcher = self._watchers[self.folders.index(folder)]
        watcher.check_root()
        tracker.retain(present.keys())
        for path in [p for p in self._not_before if p not in present]:
            del self._not_before[path]
        for path, st in sorted(present.items()):
            if self._stop.is_set():
                break
            self._observe(folder, path, st)
        self.rescans += 1
        self._status.scanned(folder.name, to_utc_iso(utc_now()), len(present))
        return {folder.relative_name(p) for p in present}

    def _observe_hinted(self, folder: DropFolder, path: Path) -> None:
        if not folder.is_candidate_path(path):
            return
        try:
            st = path.lstat()
        except FileNotFoundError:
            self._trackers[folder.name].forget(path)
            return
        except OSError:
            return
        if stat.S_ISDIR(st.st_mode):  # a folder moved in: look inside
            sub = dataclasses.replace(folder, root=path)
            for inner, inner_st in folders_mod.scan(sub):
                self._observe(folder, inner, inner_st)
        elif stat.S_ISREG(st.st_mode):
            self._observe(folder, path, st)

    def _observe_tracked(self, folder: DropFolder) -> None:
        tracker = self._trackers[folder.name]
        for tracked in tracker.paths():
            if self._stop.is_set():
                return
            path = Path(tracked)
            try:
                st = path.lstat()
            except FileNotFoundError:
                tracker.forget(path)
                continue
            except OSError:
                continue
            self._observe(folder, path, st)

    def _observe(self, folder: DropFolder, path: Path, st: os.stat_result) -> None:
        """One observation of one regular file: the stability module's calling sequence."""
        now = time.monotonic()
        if self._paused or path in self._lanes or now < self._not_before.get(path, 0.0):
            return
        tracker = self._trackers[folder.name]
        if self._giving_up.is_held(path):
            if self._giving_up.retry_removal(path, st):
                tracker.forget(path)
            else:
                self._not_before[path] = now + self.settings.retry_seconds
            return
        verdict = tracker.observe(path, st.st_size, st.st_mtime_ns, now)
        if verdict.state is Readiness.STABLE and self._lanes.free(now):
            drop = Drop(folder, path, st.st_size, st.st_mtime_ns, utc_now(), now)
            self._status.begin_reading(folder.name, drop.name)
            self._lanes.start(drop, st)
        elif verdict.state is Readiness.GIVE_UP:
            self._give_up(folder, path, st, verdict)

    def _give_up(
        self, folder: DropFolder, path: Path, st: os.stat_result, verdict: Verdict
    ) -> None:
        tracker = self._trackers[folder.name]
        now = time.monotonic()
        assert verdict.reason is not None
        with self._status.reading(folder.name, folder.relative_name(path)):
            result = self._giving_up.give_up(folder, path, st, verdict.reason, verdict.detail)
        if result in (give_up.Result.DONE, give_up.Result.GONE):
            tracker.forget(path)
            self.quarantined += result is give_up.Result.DONE
        elif result is give_up.Result.LATER:
            self._not_before[path] = now + self.settings.retry_seconds
            self._status.folder_error(folder.name, self._giving_up.last_error or "")

    # --- outcomes of the lanes ---------------------------------------------------------------

    def _finish_done(self) -> None:
        """Apply the outcome of every lane that finished (in the loop thread)."""
        for job in self._lanes.finished():
            self._status.end_reading(job.drop.folder.name, job.drop.name)
            verdict = self._finish(job)
            if verdict is not None and verdict.state is Readiness.GIVE_UP:
                self._give_up(job.drop.folder, job.drop.path, job.st, verdict)

    def _finish(self, job: InHand) -> Verdict | None:
        drop, folder, path = job.drop, job.drop.folder, job.drop.path
        tracker = self._trackers[folder.name]
        started = drop.judged_at
        try:
            if job.error is not None:
                raise job.error
            assert job.taken is not None
            taken = job.taken
        except Refused as exc:
            self.refused += 1
            log.info(
                "scan_refused folder=%s name=%r reason=%s detail=%r",
                folder.name,
                drop.name,
                exc.reason,
                exc.detail,
            )
            if path not in tracker:
                return None  # gone from the folder meanwhile: nothing to retry
            return tracker.reject(path, exc.reason, time.monotonic(), exc.detail)
        except SourceChanged:
            return None  # the next observation sees the change
        except FileNotFoundError:
            tracker.forget(path)
            return None
        except Exception as exc:
            # A full disk: one log line per episode (storage.faults), not one per file.
            if not self.rt.faults.noted_disk_full(f"ingest {folder.name}", exc):
                log.exception("scan_failed folder=%s name=%r", folder.name, drop.name)
            self._status.folder_error(folder.name, f"{type(exc).__name__}: {exc}")
            self._not_before[path] = time.monotonic() + self.settings.retry_seconds
            return None
        tracker.forget(path)
        self._not_before.pop(path, None)
        self.rt.faults.wrote()
        self.taken += 1
        log.info(
            "scan_taken folder=%s name=%r outcome=%s receipt=%s size=%d recovered=%s "
            "disposed_to=%r stable_to_commit_ms=%.1f inspect_ms=%.1f took_ms=%.1f",
            folder.name,
            drop.name,
            taken.outcome,
            taken.receipt_id,
            drop.size,
            taken.recovered,
            taken.disposed_to,
            taken.commit_ms,
            taken.inspect_ms,
            (time.monotonic() - started) * 1000,
        )
        return None

    def _settle_undisposed(self, present: dict[str, set[str] | None]) -> None:
        """Receipts committed before a crash whose source is no longer in its folder (moved
        before the crash, or removed by someone): record that it is gone."""
        with self.rt.db.write() as conn:
            for receipt in receipts.undisposed(conn):
                names = present.get(receipt.folder)
                if names is not None and receipt.name not in names:
                    receipts.mark_disposed(conn, receipt.id, to_utc_iso(utc_now()), None)

    def _snapshot(self, *, running: bool) -> status.ServiceStatus:
        return self._status.snapshot(
            running=running,
            waiting={f.name: len(self._trackers[f.name]) for f in self.folders},
            watching={w.folder.name: w.watching for w in self._watchers},
            watcher_errors={w.folder.name: w.last_error for w in self._watchers},
        )
