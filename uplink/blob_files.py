"""The stored files the uplink sends: one transfer's progress, a refused file's back-off,
and reading the node's own copy (a chunk of it, or all of it to check its hash).
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from dataclasses import dataclass, field

from node.runtime import NodeRuntime
from uplink.flow import Sent

log = logging.getLogger("motcua.sync.node")


@dataclass
class BlobTransfer:
    sha256: str
    size: int
    offset: int | None = None  # None until the city told us where to resume
    sent_upto: int = 0  # next byte to send
    inflight: deque[tuple[int, Sent]] = field(default_factory=deque)  # (offset, its message)
    offer: Sent | None = None  # the last offer, None: offer at once
    unanswered: int = 0  # offers of this file the city has not answered
    first_unanswered_at: float = 0.0


@dataclass
class Deferred:
    failures: int
    until: float  # time.monotonic() before which the file is not tried


def local_damage(rt: NodeRuntime, blob: BlobTransfer) -> str:
    """Why the city may have found another hash: '' or a note that our copy is damaged."""
    why = verify_local(rt, blob.sha256, blob.size)
    if why:
        log.error("event=blob_damaged_locally sha256=%s why=%s", blob.sha256, why)
        return f"; {why} (run motcua check)"
    return ""


def verify_local(rt: NodeRuntime, sha256: str, size: int) -> str:
    """'' when the node's copy is whole, else what is wrong with it (missing, short, hash).

    Checked before a file is offered: a copy deleted or truncated on the node's disk would
    otherwise fail every turn or send empty chunks forever, blocking every file behind it.
    """
    path = rt.blobs.path_for(sha256)
    digest = hashlib.sha256()
    length = 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                length += len(chunk)
    except FileNotFoundError:
        return f"the local copy {path} is missing"
    except OSError as exc:
        return f"the local copy {path} cannot be read: {exc.strerror or exc}"
    if length != size:
        return f"the local copy {path} has {length} bytes, {size} expected"
    if digest.hexdigest() != sha256:
        return f"the local copy {path} has SHA-256 {digest.hexdigest()}"
    return ""


class LocalCopyDamaged(Exception):
    """The node's own copy of a file changed under a transfer (deleted or cut short)."""


def read_chunk(rt: NodeRuntime, sha256: str, offset: int, size: int, total: int) -> bytes:
    """``size`` bytes at ``offset`` (fewer only at the end of a ``total``-byte file)."""
    path = rt.blobs.path_for(sha256)
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(size)
    except OSError as exc:
        raise LocalCopyDamaged(f"the local copy {path} cannot be read: {exc}") from exc
    if len(data) != min(size, total - offset):
        raise LocalCopyDamaged(
            f"the local copy {path} ends at byte {offset + len(data)}, {total} expected"
        )
    return data
