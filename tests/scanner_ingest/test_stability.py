from __future__ import annotations

from pathlib import PurePath

import pytest

from scanner_ingest import reasons
from scanner_ingest.stability import Readiness, StabilityTracker

P = PurePath("Scanner 1/SCN_0001.pdf")
WAITING, STABLE, GIVE_UP = Readiness.WAITING, Readiness.STABLE, Readiness.GIVE_UP
MTIME = 1_800_000_000_000_000_000


def tracker() -> StabilityTracker:
    return StabilityTracker(stable_seconds=5, give_up_seconds=1800, retry_seconds=30)


def test_first_sighting_waits() -> None:
    assert tracker().observe(P, 1000, MTIME, now=0).state is WAITING


def test_stable_after_unchanged_for_stable_seconds() -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=100)
    assert t.observe(P, 1000, MTIME, now=102).state is WAITING
    assert t.observe(P, 1000, MTIME, now=104.9).state is WAITING
    verdict = t.observe(P, 1000, MTIME, now=105)
    assert verdict.state is STABLE
    assert verdict.quiet_seconds == 5


def test_two_observations_far_apart_are_enough() -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    assert t.observe(P, 1000, MTIME, now=60).state is STABLE


@pytest.mark.parametrize("change", [(2000, MTIME), (1000, MTIME + 1)])
def test_size_or_mtime_change_restarts_the_window(change: tuple[int, int]) -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    assert t.observe(P, *change, now=4).state is WAITING
    assert t.observe(P, *change, now=8).state is WAITING  # only 4 s since the change
    assert t.observe(P, *change, now=9).state is STABLE


def test_rewrite_with_same_size_is_a_change() -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    t.observe(P, 1000, MTIME + 10, now=6)
    assert t.observe(P, 1000, MTIME + 10, now=10).state is WAITING


def test_slow_writer_growing_for_40_minutes_is_never_given_up() -> None:
    t = tracker()
    size = 0
    for second in range(0, 40 * 60, 3):  # a page every 3 s
        size += 50_000
        assert t.observe(P, size, MTIME + second, now=second).state is WAITING
    assert t.observe(P, size, MTIME + 2397, now=2400 + 5).state is STABLE


def test_empty_file_waits_then_gives_up_from_its_last_change() -> None:
    t = tracker()
    t.observe(P, 0, MTIME, now=0)
    assert t.observe(P, 0, MTIME, now=60).state is WAITING
    assert t.observe(P, 0, MTIME, now=1799).state is WAITING
    verdict = t.observe(P, 0, MTIME, now=1800)
    assert verdict.state is GIVE_UP
    assert verdict.reason == reasons.EMPTY


def test_empty_file_that_gets_written_is_taken() -> None:
    t = tracker()
    t.observe(P, 0, MTIME, now=0)
    t.observe(P, 0, MTIME, now=1000)
    t.observe(P, 5000, MTIME + 1, now=1700)
    assert t.observe(P, 5000, MTIME + 1, now=1900).state is STABLE  # 200 s since the change


def test_retryable_refusal_waits_then_retries_until_give_up() -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    assert t.observe(P, 1000, MTIME, now=5).state is STABLE
    verdict = t.reject(P, reasons.TRUNCATED, now=5, detail="no %%EOF")
    assert verdict.state is WAITING
    assert t.observe(P, 1000, MTIME, now=20).state is WAITING  # retry not due
    assert t.observe(P, 1000, MTIME, now=35).state is STABLE  # retry due
    t.reject(P, reasons.TRUNCATED, now=35, detail="no %%EOF")
    assert t.observe(P, 1000, MTIME, now=64).state is WAITING
    verdict = t.observe(P, 1000, MTIME, now=1800)
    assert verdict.state is GIVE_UP
    assert (verdict.reason, verdict.detail) == (reasons.TRUNCATED, "no %%EOF")


def test_reject_at_give_up_time_gives_up() -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    verdict = t.reject(P, reasons.UNREADABLE, now=1800, detail="locked")
    assert verdict.state is GIVE_UP
    assert verdict.reason == reasons.UNREADABLE


def test_change_after_refusal_clears_it() -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    t.reject(P, reasons.TRUNCATED, now=5)
    t.observe(P, 2000, MTIME + 1, now=6)  # the scanner was only pausing
    assert t.observe(P, 2000, MTIME + 1, now=11).state is STABLE
    # and the give-up clock restarted at the change
    t.reject(P, reasons.TRUNCATED, now=11)
    assert t.observe(P, 2000, MTIME + 1, now=1805).state is not GIVE_UP
    assert t.observe(P, 2000, MTIME + 1, now=1806).state is GIVE_UP


@pytest.mark.parametrize("code", [reasons.UNKNOWN_TYPE, reasons.ENCRYPTED_PDF, reasons.TOO_LARGE])
def test_final_reason_gives_up_at_once(code: str) -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    t.observe(P, 1000, MTIME, now=5)
    verdict = t.reject(P, code, now=5, detail="d")
    assert (verdict.state, verdict.reason, verdict.detail) == (GIVE_UP, code, "d")


def test_reject_refuses_unknown_reason() -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    with pytest.raises(ValueError):
        t.reject(P, "bad_vibes", now=5)


def test_forget_starts_a_reused_name_afresh() -> None:
    t = tracker()
    t.observe(P, 1000, MTIME, now=0)
    assert t.observe(P, 1000, MTIME, now=5).state is STABLE
    t.forget(P)  # taken; the scanner then writes the next SCN_0001.pdf
    assert P not in t
    assert t.observe(P, 1000, MTIME, now=6).state is WAITING
    assert t.observe(P, 1000, MTIME, now=11).state is STABLE
    t.forget(PurePath("never/seen.pdf"))


def test_retain_drops_vanished_paths() -> None:
    t = tracker()
    other = PurePath("Scanner 1/SCN_0002.pdf")
    t.observe(P, 1, MTIME, now=0)
    t.observe(other, 1, MTIME, now=0)
    t.retain({other})
    assert len(t) == 1
    assert other in t


def test_paths_are_independent() -> None:
    t = tracker()
    other = PurePath("Scanner 2/SCN_0001.pdf")
    t.observe(P, 1, MTIME, now=0)
    t.observe(other, 1, MTIME, now=3)
    assert t.observe(P, 1, MTIME, now=5).state is STABLE
    assert t.observe(other, 1, MTIME, now=5).state is WAITING


def test_clock_going_backwards_is_not_quiet_time() -> None:
    t = tracker()
    t.observe(P, 1, MTIME, now=100)
    assert t.observe(P, 1, MTIME, now=50).state is WAITING


@pytest.mark.parametrize("args", [(0, 10, 1), (10, 5, 1), (5, 10, 0)])
def test_bad_settings(args: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError):
        StabilityTracker(*args)
