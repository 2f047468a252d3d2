"""Files from nodes: resumable by the partial file's size, verified, content-addressed."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from central.blob_receiver import BlobReceiver, FileTooLarge
from central.sqlite_store import SqliteCentralStore
from central.store import CentralStore

AT = "2027-02-01T03:00:00.000000Z"
DATA = os.urandom(100_000)
SHA = hashlib.sha256(DATA).hexdigest()
CHUNK = 16_384


def send(blobs: BlobReceiver, data: bytes, start: int = 0, stop: int | None = None) -> int:
    """Send chunks from ``start`` like a node does (following each ack); the last offset."""
    offset = start
    end = len(data) if stop is None else stop
    while offset < end:
        progress = blobs.chunk(SHA, len(data), offset, data[offset : offset + CHUNK], AT)
        offset = progress.next_offset
        if progress.complete:
            break
    return offset


def test_a_transfer_resumes_after_a_restart_from_what_is_on_disk(
    sqlite_store: CentralStore, tmp_path: Path
) -> None:
    root = tmp_path / "blobs"
    first = BlobReceiver(root, sqlite_store, 1 << 20)
    assert first.offer(SHA, len(DATA), AT).next_offset == 0
    held = send(first, DATA, stop=3 * CHUNK)
    assert held == 3 * CHUNK
    assert first.partial_path(SHA).stat().st_size == held
    # A new process: no memory of the transfer, only the partial file.
    again = BlobReceiver(root, sqlite_store, 1 << 20)
    progress = again.offer(SHA, len(DATA), AT)
    assert (progress.next_offset, progress.complete) == (held, False)
    assert send(again, DATA, start=held) == len(DATA)
    assert again.path_for(SHA).read_bytes() == DATA
    assert not again.partial_path(SHA).exists()
    assert sqlite_store.blob_size(SHA) == len(DATA)


def test_a_chunk_at_the_wrong_offset_is_not_written(
    sqlite_store: CentralStore, tmp_path: Path
) -> None:
    blobs = BlobReceiver(tmp_path / "blobs", sqlite_store, 1 << 20)
    blobs.chunk(SHA, len(DATA), 0, DATA[:CHUNK], AT)
    ahead = blobs.chunk(SHA, len(DATA), 2 * CHUNK, DATA[2 * CHUNK : 3 * CHUNK], AT)
    behind = blobs.chunk(SHA, len(DATA), 0, DATA[:CHUNK], AT)
    assert ahead.next_offset == behind.next_offset == CHUNK
    assert blobs.partial_path(SHA).read_bytes() == DATA[:CHUNK]


def test_bytes_that_do_not_match_the_hash_are_discarded_and_counted(
    sqlite_store: CentralStore, tmp_path: Path
) -> None:
    blobs = BlobReceiver(tmp_path / "blobs", sqlite_store, 1 << 20)
    corrupted = DATA[:-1] + bytes([DATA[-1] ^ 1])
    offset = 0
    while True:
        progress = blobs.chunk(SHA, len(DATA), offset, corrupted[offset : offset + CHUNK], AT)
        if progress.next_offset <= offset:
            break
        offset = progress.next_offset
    assert (progress.next_offset, progress.complete, progress.problem) == (0, False, "bad_hash")
    assert not blobs.partial_path(SHA).exists() and not blobs.path_for(SHA).exists()
    assert sqlite_store.blob_size(SHA) is None
    assert send(blobs, DATA) == len(DATA)  # the node starts again and succeeds


def test_files_over_the_limit_are_refused(sqlite_store: CentralStore, tmp_path: Path) -> None:
    blobs = BlobReceiver(tmp_path / "blobs", sqlite_store, 1000)
    with pytest.raises(FileTooLarge):
        blobs.offer(SHA, len(DATA), AT)
    with pytest.raises(FileTooLarge):
        blobs.chunk(SHA, len(DATA), 0, DATA[:10], AT)
    assert not blobs.partial_path(SHA).exists()


def test_a_partial_longer_than_the_announced_size_restarts_the_file(
    sqlite_store: CentralStore, tmp_path: Path
) -> None:
    blobs = BlobReceiver(tmp_path / "blobs", sqlite_store, 1 << 20)
    blobs.partial_path(SHA).write_bytes(b"x" * (len(DATA) + 5))
    progress = blobs.offer(SHA, len(DATA), AT)
    assert (progress.next_offset, progress.problem) == (0, "partial_too_long")
    assert send(blobs, DATA) == len(DATA)


def test_a_file_renamed_into_place_before_a_crash_is_recorded_on_the_next_offer(
    sqlite_store: CentralStore, tmp_path: Path
) -> None:
    blobs = BlobReceiver(tmp_path / "blobs", sqlite_store, 1 << 20)
    blobs.path_for(SHA).parent.mkdir(parents=True)
    blobs.path_for(SHA).write_bytes(DATA)
    progress = blobs.offer(SHA, len(DATA), AT)
    assert (progress.next_offset, progress.complete) == (len(DATA), True)
    assert sqlite_store.blob_size(SHA) == len(DATA)


def test_an_empty_file_is_complete_at_once(sqlite_store: CentralStore, tmp_path: Path) -> None:
    blobs = BlobReceiver(tmp_path / "blobs", sqlite_store, 1 << 20)
    empty = hashlib.sha256(b"").hexdigest()
    assert blobs.offer(empty, 0, AT).complete
    assert blobs.path_for(empty).read_bytes() == b""


def test_two_receivers_writing_one_file_never_interleave(
    store: CentralStore, tmp_path: Path
) -> None:
    # A shared subscription hands chunks of one file to different receiver processes;
    # each sends every chunk, in order, to its own BlobReceiver on the same directory.
    root = tmp_path / "blobs"
    receivers = [BlobReceiver(root, store, 1 << 20) for _ in range(3)]
    threads = [threading.Thread(target=send, args=(r, DATA)) for r in receivers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert receivers[0].path_for(SHA).read_bytes() == DATA
    assert store.blob_size(SHA) == len(DATA)
    assert not receivers[0].partial_path(SHA).exists()


def test_the_partial_directory_survives_reopening(tmp_path: Path) -> None:
    store = SqliteCentralStore(tmp_path / "c.sqlite3")
    store.migrate()
    try:
        BlobReceiver(tmp_path / "blobs", store, 10)
        BlobReceiver(tmp_path / "blobs", store, 10)
        assert (tmp_path / "blobs" / "partial").is_dir()
    finally:
        store.close()
