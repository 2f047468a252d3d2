"""Lanes: one file at a time unless the one in hand has been there for a while."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from rules.clock import utc_now
from scanner_ingest.folders import DropFolder
from scanner_ingest.lanes import HOLD_BACK_SECONDS, InHand, Lanes
from scanner_ingest.pipeline import Drop, Taken
from tests.support.wait import wait_until


def drop(tmp_path: Path, name: str, judged_at: float) -> Drop:
    folder = DropFolder(
        "may-1", tmp_path, "component", "original", False, 5.0, 1800.0, tmp_path, tmp_path
    )
    return Drop(folder, tmp_path / name, 1, 1, utc_now(), judged_at)


def test_a_file_in_hand_holds_back_the_next_only_for_a_while(tmp_path: Path) -> None:
    release = threading.Event()
    woken = threading.Event()

    def work(d: Drop) -> Taken:
        release.wait(30)
        if d.path.name == "bad":
            raise ValueError("a file the pipeline refused")
        return Taken("r", "attached", False, None, 1.0, 1.0)

    lanes = Lanes(2, work, woken.set)
    st = os.stat(tmp_path)
    now = time.monotonic()
    assert lanes.free(now)
    lanes.start(drop(tmp_path, "slow", now), st)
    assert tmp_path / "slow" in lanes and len(lanes) == 1
    assert not lanes.free(now)  # just started: the next waits its turn
    assert lanes.free(now + HOLD_BACK_SECONDS)  # in hand a while: the next starts beside it
    lanes.start(drop(tmp_path, "bad", now + HOLD_BACK_SECONDS), st)
    assert not lanes.free(now + 10 * HOLD_BACK_SECONDS)  # every lane taken
    release.set()
    finished: list[InHand] = []

    def both_finished() -> bool:
        finished.extend(lanes.finished())
        return len(finished) == 2

    wait_until(both_finished, what="both lanes to finish")
    assert woken.is_set() and len(lanes) == 0
    outcomes = {job.drop.path.name: (job.taken, type(job.error)) for job in finished}
    assert outcomes["slow"][0] is not None and outcomes["slow"][1] is type(None)
    assert outcomes["bad"] == (None, ValueError)
    lanes.join(time.monotonic() + 5)
