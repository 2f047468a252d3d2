"""Faults of the storage under a running process: a full disk and a damaged database.

A write that cannot be made durable fails with SQLITE_FULL (apsw.FullError) or an OSError
ENOSPC/EDQUOT; :func:`is_disk_full` recognises either, wrapped or not. A process keeps ONE
:class:`StorageFaults` per data folder: every door that meets a full disk reports it there
(the HTTP error handler, ingest), so the log has one line when an episode begins and one
when it ends, never one per request, and the status interface (``/healthz``, ``/metrics``,
the sync page) reads the episode from the same place.

An episode ends by itself: when a write succeeds again (:meth:`StorageFaults.wrote`) or when
the free space seen by ``statvfs`` has grown past what it was when the write failed. Ingest
asks :meth:`StorageFaults.disk_full_now` before taking a file, so it pauses during an
episode and resumes without anyone's help.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from pathlib import Path

import apsw
import msgspec

from rules.clock import to_utc_iso, utc_now

log = logging.getLogger("motcua.storage.faults")

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# Less free space than this is a full disk even before a write fails: SQLite needs room for
# its WAL and journal pages, a scan for its PDF, an upload for its temporary file.
FULL_BELOW_BYTES = 1 << 20
# An episode ends once this much more is free than when the write failed (or a write
# succeeds): less would end it at the next few kilobytes a log rotation frees.
RECOVERY_MARGIN_BYTES = 1 << 20
# Space is free in five percent of the disk or less (and under 1 GiB): worth an alarm.
LOW_FRACTION = 0.05
LOW_BELOW_BYTES = 1 << 30
# A paused ingest tries one file again this often even if statvfs shows no change (another
# process or quota may have freed room statvfs does not show).
RETRY_SECONDS = 30.0


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from or during, each once."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or what it was raised from) says the disk or the quota is full."""
    for item in _chain(exc):
        if isinstance(item, apsw.FullError):
            return True
        if isinstance(item, OSError) and item.errno in FULL_ERRNOS:
            return True
    return False


def is_database_damaged(exc: BaseException) -> bool:
    """True when ``exc`` (or its cause) is SQLite saying the file is not a sound database."""
    return any(isinstance(i, apsw.CorruptError | apsw.NotADBError) for i in _chain(exc))


class DiskSpace(msgspec.Struct, frozen=True):
    path: str
    total_bytes: int
    free_bytes: int  # available to this process's user (statvfs f_bavail)


class FaultState(msgspec.Struct, frozen=True):
    """What the status interface shows of the storage: one snapshot."""

    disk: DiskSpace
    disk_full: bool  # an episode is on, or less than FULL_BELOW_BYTES is free
    disk_low: bool  # little space left, nothing refused yet
    disk_full_since: str | None  # UTC ISO: the first write refused in this episode
    disk_full_where: str  # what was refused first ("http POST /api/v1/dossiers", "ingest")
    disk_full_episodes: int  # since this process started
    refused_writes: int  # writes refused for lack of space since this process started
    database_damaged: str  # the last "damaged database" error met, "" if none


def disk_space(path: Path) -> DiskSpace:
    st = os.statvfs(path)
    return DiskSpace(str(path), st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize)


class StorageFaults:
    """Full-disk episodes and database damage met by this process (thread-safe)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._since: str | None = None
        self._where = ""
        self._free_at_failure = 0
        self._last_try = -RETRY_SECONDS  # monotonic time of the last refused write
        self._episodes = 0
        self._refused = 0
        self._damaged = ""

    def disk_full(self, where: str, exc: BaseException) -> None:
        """A write was refused for lack of space; the first of an episode is logged."""
        free = self._free()
        with self._lock:
            self._refused += 1
            self._last_try = time.monotonic()
            self._free_at_failure = free
            if self._since is not None:
                return
            self._since = to_utc_iso(utc_now())
            self._where = where
            self._episodes += 1
        log.error(
            "disk_full where=%r data_dir=%s free_bytes=%d error=%r: writes are refused "
            "(507) and ingest waits until space is freed; nothing acknowledged is lost",
            where,
            self.data_dir,
            free,
            str(exc),
        )

    def noted_disk_full(self, where: str, exc: BaseException) -> bool:
        """For a loop's catch-all: True (and the episode noted) if ``exc`` is a full disk,
        so the loop logs its own traceback only for anything else."""
        if is_disk_full(exc):
            self.disk_full(where, exc)
            return True
        return False

    def database_damaged(self, where: str, exc: BaseException) -> None:
        with self._lock:
            first = not self._damaged
            self._damaged = str(exc) or type(exc).__name__
        if first:
            log.critical("database_damaged where=%r error=%r", where, str(exc))

    def wrote(self) -> None:
        """A write was made durable: an episode, if any, is over."""
        if self._since is not None:  # unlocked read: the common case costs nothing
            self._end("a write succeeded", self._free())

    def disk_full_now(self) -> bool:
        """Should writes wait? Ends the episode if space came back; True meanwhile."""
        free = self._free()
        with self._lock:
            since, floor = self._since, self._free_at_failure + RECOVERY_MARGIN_BYTES
        if since is not None and free >= max(floor, FULL_BELOW_BYTES):
            self._end("space was freed", free)
            return False
        return since is not None or free < FULL_BELOW_BYTES

    def may_retry(self) -> bool:
        """True once RETRY_SECONDS have passed since the last refused write (at once if none
        was refused): a paused loop tries again, and pauses again at the next refusal."""
        with self._lock:
            return time.monotonic() - self._last_try >= RETRY_SECONDS

    def state(self) -> FaultState:
        full = self.disk_full_now()
        space = self._space()
        with self._lock:
            return FaultState(
                disk=space,
                disk_full=full,
                disk_low=not full
                and space.free_bytes < min(LOW_BELOW_BYTES, space.total_bytes * LOW_FRACTION),
                disk_full_since=self._since,
                disk_full_where=self._where,
                disk_full_episodes=self._episodes,
                refused_writes=self._refused,
                database_damaged=self._damaged,
            )

    def _end(self, why: str, free: int) -> None:
        with self._lock:
            if self._since is None:
                return
            since, where, self._since, self._where = self._since, self._where, None, ""
        log.warning(
            "disk_full_cleared data_dir=%s free_bytes=%d since=%s first_refused=%r: %s; "
            "writes and ingest resume",
            self.data_dir,
            free,
            since,
            where,
            why,
        )

    def _space(self) -> DiskSpace:
        try:
            return disk_space(self.data_dir)
        except OSError:  # the folder is gone or unreadable: show nothing free
            return DiskSpace(str(self.data_dir), 0, 0)

    def _free(self) -> int:
        return self._space().free_bytes
