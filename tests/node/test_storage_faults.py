"""storage.faults: what a full disk looks like, and one log line per episode."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import apsw
import pytest

from storage import faults as faults_mod
from storage.faults import StorageFaults, is_database_damaged, is_disk_full


def _wrapped(inner: BaseException) -> RuntimeError:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise RuntimeError("storing the upload failed") from exc
    except RuntimeError as outer:
        return outer


def test_a_full_disk_is_recognised_however_it_is_wrapped() -> None:
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert is_disk_full(apsw.FullError("database or disk is full"))
    assert is_disk_full(_wrapped(OSError(errno.ENOSPC, "full")))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(apsw.BusyError("database is locked"))
    assert is_database_damaged(_wrapped(apsw.CorruptError("malformed")))
    assert not is_database_damaged(apsw.FullError("full"))


def test_one_line_when_an_episode_begins_and_one_when_it_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="motcua.storage.faults")
    free = {"bytes": 0}
    faults = StorageFaults(tmp_path)
    monkeypatch.setattr(faults, "_free", lambda: free["bytes"])
    for _ in range(5):
        faults.disk_full("http POST /api/v1/dossiers", OSError(errno.ENOSPC, "full"))
    assert faults.disk_full_now() and faults.state().refused_writes == 5
    free["bytes"] = faults_mod.RECOVERY_MARGIN_BYTES // 2  # a few files deleted: not enough
    assert faults.disk_full_now()
    free["bytes"] = 2 * faults_mod.RECOVERY_MARGIN_BYTES
    assert not faults.disk_full_now()
    faults.disk_full("ingest may-1", OSError(errno.ENOSPC, "full"))  # a second episode
    faults.wrote()  # ended by a write that succeeded
    events = [r.getMessage().split(" ")[0] for r in caplog.records]
    assert events == ["disk_full", "disk_full_cleared", "disk_full", "disk_full_cleared"]
    assert faults.state().disk_full_episodes == 2


def test_a_paused_loop_tries_again_after_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = StorageFaults(tmp_path)
    assert faults.may_retry()  # nothing refused yet
    faults.disk_full("ingest may-1", OSError(errno.ENOSPC, "full"))
    assert not faults.may_retry()
    monkeypatch.setattr(faults_mod, "RETRY_SECONDS", 0.0)
    assert faults.may_retry()
