"""The stored files the uplink sends: one transfer's progress, a refused file's back-off,
and reading the node's own copy (a chunk of it, or all of it to check its hash).
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from dataclasses import dataclass, field

from node.runtime import NodeRuntime

log = logging.getLogger("motcua.sync.node")


@dataclass
class BlobTransfer:
    sha256: str
    size: int
    offset: int | None = None  # None until the city told us where to resume
    sent_upto: int = 0  # next byte to send
    inflight: deque[tuple[int, float]] = field(default_factory=deque)  # (offset, sent_at)
    offered_at: float = 0.0
    unanswered: int = 0  # offers of this file the city has not answered
    first_unanswered_at: float = 0.0


@dataclass
class Deferred:
    failures: int
    until: float  # time.monotonic() before which the file is not tried


def local_damage(rt: NodeRuntime, blob: BlobTransfer) -> str:
    """Why the city may have found another hash: '' or a note that our copy is damaged."""
    digest = hashlib.sha256()
    try:
        with rt.blobs.path_for(blob.sha256).open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        return f"; the local copy cannot be read: {exc}"
    if digest.hexdigest() != blob.sha256:
        log.error("event=blob_damaged_locally sha256=%s", blob.sha256)
        return "; the local copy is damaged (run motcua check)"
    return ""


def read_chunk(rt: NodeRuntime, sha256: str, offset: int, size: int) -> bytes:
    with open(rt.blobs.path_for(sha256), "rb") as f:
        f.seek(offset)
        return f.read(size)
