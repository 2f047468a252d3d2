"""When a file in a scanner share is finished: stable size and mtime, and when to give up.

Pure logic: the caller stats files and passes a monotonic ``now`` (``time.monotonic()``);
nothing here reads the clock or the disk. Times are ours, not the file's mtime, because the
scanner's or file server's clock may be wrong; mtime is only compared for equality.

Rules:
- A file is stable once two observations at least ``stable_seconds`` apart saw the same
  (size, mtime). Any change restarts that window.
- The give-up clock counts from the last change, not from the first sighting: a slow scanner
  still writing after 40 minutes is never quarantined, while a file that stopped changing
  and is still empty or refused ``give_up_seconds`` later is. (For an empty file that never
  changes, the last change is its first sighting.)
- An empty stable file keeps waiting; at give-up the verdict is ``empty``.
- A stable file the caller refused with a retryable reason (``reject``) waits
  ``retry_seconds`` before it is offered again, until give-up; a change to the file clears
  the refusal. A final reason gives up at once.

Caller contract, per observation::

    v = tracker.observe(path, st.st_size, st.st_mtime_ns, now)
    if v.state is Readiness.STABLE:
        result = check_file(...)
        if result.ok: ingest, then tracker.forget(path)
        else: v = tracker.reject(path, result.reason, now, result.detail)
    if v.state is Readiness.GIVE_UP: quarantine with v.reason, then tracker.forget(path)
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from pathlib import PurePath

import msgspec

from scanner_ingest import reasons


class Readiness(enum.StrEnum):
    WAITING = "waiting"  # not finished yet, or waiting before a retry
    STABLE = "stable"  # finished: inspect it now
    GIVE_UP = "give_up"  # quarantine it with ``reason``


class Verdict(msgspec.Struct, frozen=True):
    state: Readiness
    reason: str | None = None  # set for GIVE_UP: a code from ``reasons``
    detail: str = ""
    quiet_seconds: float = 0.0  # time since the last change was seen


class _Entry(msgspec.Struct):
    size: int
    mtime_ns: int
    changed_at: float
    refusal: str | None = None
    detail: str = ""
    retry_at: float = 0.0


class StabilityTracker:
    """Per-path stability state. Not thread-safe: one watcher loop owns it."""

    def __init__(
        self,
        stable_seconds: float = 5.0,
        give_up_seconds: float = 1800.0,
        retry_seconds: float = 30.0,
    ) -> None:
        if not 0 < stable_seconds <= give_up_seconds or retry_seconds <= 0:
            raise ValueError("need 0 < stable_seconds <= give_up_seconds and retry_seconds > 0")
        self.stable_seconds = stable_seconds
        self.give_up_seconds = give_up_seconds
        self.retry_seconds = retry_seconds
        self._entries: dict[PurePath, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return path in self._entries

    def observe(self, path: PurePath, size: int, mtime_ns: int, now: float) -> Verdict:
        """Record one observation of ``path`` and say what to do with it."""
        entry = self._entries.get(path)
        if entry is None or (entry.size, entry.mtime_ns) != (size, mtime_ns):
            self._entries[path] = _Entry(size=size, mtime_ns=mtime_ns, changed_at=now)
            return Verdict(Readiness.WAITING)
        quiet = max(0.0, now - entry.changed_at)
        if quiet < self.stable_seconds:
            return Verdict(Readiness.WAITING, quiet_seconds=quiet)
        if size == 0:
            return self._waiting_or_give_up(quiet, reasons.EMPTY, "0 bytes")
        if entry.refusal is not None:
            if quiet >= self.give_up_seconds:
                return Verdict(Readiness.GIVE_UP, entry.refusal, entry.detail, quiet)
            if now < entry.retry_at:
                return Verdict(Readiness.WAITING, quiet_seconds=quiet)
        return Verdict(Readiness.STABLE, quiet_seconds=quiet)

    def reject(self, path: PurePath, reason: str, now: float, detail: str = "") -> Verdict:
        """The caller found the stable file unacceptable for ``reason``: retry or give up.

        ``path`` must have been observed. A final reason (``retry=False``) gives up at once.
        """
        entry = self._entries[path]
        quiet = max(0.0, now - entry.changed_at)
        if not reasons.reason(reason).retry:
            return Verdict(Readiness.GIVE_UP, reason, detail, quiet)
        entry.refusal, entry.detail = reason, detail
        entry.retry_at = now + self.retry_seconds
        return self._waiting_or_give_up(quiet, reason, detail)

    def paths(self) -> list[PurePath]:
        """Every path being tracked, in the order first seen."""
        return list(self._entries)

    def forget(self, path: PurePath) -> None:
        """Drop ``path`` (taken, quarantined or gone); a new file there starts afresh."""
        self._entries.pop(path, None)

    def retain(self, present: Collection[PurePath]) -> None:
        """Drop every path not in ``present`` (the files a full scan of the share found)."""
        for path in [p for p in self._entries if p not in present]:
            del self._entries[path]

    def _waiting_or_give_up(self, quiet: float, reason: str, detail: str) -> Verdict:
        if quiet >= self.give_up_seconds:
            return Verdict(Readiness.GIVE_UP, reason, detail, quiet)
        return Verdict(Readiness.WAITING, quiet_seconds=quiet)
