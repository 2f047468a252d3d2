"""Files in hand: the pipeline runs for each finished file in a thread of its own (a lane).

Files are taken one at a time, in the order they became finished, except that a file in
hand for ``HOLD_BACK_SECONDS`` no longer holds back the next: that one starts beside it, in
another lane. So a hostile file that spends its whole time budget delays a normal scan by
about a second, not by its budget; their calls take turns in the worker processes.

Only the service's loop thread calls ``free``, ``start`` and ``finished``: it alone decides
what a file's outcome means (the stability trackers are not thread-safe).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from scanner_ingest.pipeline import Drop, Taken

#: A file in hand this long no longer holds back the next finished file.
HOLD_BACK_SECONDS = 1.0


@dataclasses.dataclass
class InHand:
    """One file in a lane; ``taken`` or ``error`` once its lane finished."""

    drop: Drop
    st: os.stat_result  # the observation that judged it finished
    thread: threading.Thread | None = None
    taken: Taken | None = None
    error: BaseException | None = None


class Lanes:
    """Up to ``lanes`` files in hand at once, each run by ``work`` in its own thread;
    ``wake`` is called (from the lane) when one finishes."""

    def __init__(self, lanes: int, work: Callable[[Drop], Taken], wake: Callable[[], None]):
        self.lanes = lanes
        self._work = work
        self._wake = wake
        self._in_hand: dict[Path, InHand] = {}
        self._done: queue.SimpleQueue[InHand] = queue.SimpleQueue()

    def __contains__(self, path: object) -> bool:
        return path in self._in_hand

    def __len__(self) -> int:
        return len(self._in_hand)

    def free(self, now: float) -> bool:
        """May a finished file start now? When nothing is in hand, or when every file in
        hand has been for ``HOLD_BACK_SECONDS`` and a lane is left."""
        if not self._in_hand:
            return True
        return len(self._in_hand) < self.lanes and all(
            now - job.drop.judged_at >= HOLD_BACK_SECONDS for job in self._in_hand.values()
        )

    def start(self, drop: Drop, st: os.stat_result) -> None:
        job = InHand(drop, st)
        job.thread = threading.Thread(
            target=self._run, args=(job,), name="ingest-lane", daemon=True
        )
        self._in_hand[drop.path] = job
        job.thread.start()

    def finished(self) -> list[InHand]:
        """The files whose lane finished since the last call, no longer in hand."""
        done: list[InHand] = []
        while True:
            try:
                job = self._done.get_nowait()
            except queue.Empty:
                return done
            del self._in_hand[job.drop.path]
            done.append(job)

    def join(self, deadline: float) -> None:
        """Wait for the lanes to finish, until ``deadline`` (``time.monotonic()``)."""
        for job in list(self._in_hand.values()):
            if job.thread is not None:
                job.thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, job: InHand) -> None:
        try:
            job.taken = self._work(job.drop)
        except BaseException as exc:  # judged by the loop thread
            job.error = exc
        self._done.put(job)
        self._wake()
