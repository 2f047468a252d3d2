"""The city asks a node for files it lacks: a city restored from an old copy lost some.

A node sends a file again only when the city says it lacks it, and holds every file the
city once acknowledged as delivered. So the city tells it, with the ``ChunkAck`` it
answers an offer with (offset 0, not complete), for each file its held events name and it
holds no byte of: after each batch for the files that batch names (resent events of a
restored city come back this way), and on a node's first Birth to a receiver process for
any of the node's files (a restore happens while no receiver runs; looking over every
file of every node at each reconnect would cost a scan of its document events each time).
"""

from __future__ import annotations

import threading
from typing import Final

from central.blob_receiver import BlobReceiver
from central.store import CentralStore
from rules.event_kinds import DocumentAttached, decode_body
from sync import wire

#: Files asked for on one Birth at most; the next Birth asks for the rest.
PER_BIRTH: Final = 100


def named(batch: wire.EventBatch) -> list[tuple[str, int]]:
    """(sha256, size) of the files the batch's document events name."""
    files: list[tuple[str, int]] = []
    for event in batch.events:
        if event.kind == "document_attached":
            body = decode_body(event.body)
            if isinstance(body, DocumentAttached):
                files.append((body.sha256, body.size))
    return files


def lacking(
    store: CentralStore, blobs: BlobReceiver, node_id: str, files: list[tuple[str, int]]
) -> list[wire.ChunkAck]:
    """A "send it from the start" for each file neither held whole nor on its way."""
    asks: list[wire.ChunkAck] = []
    for sha256, size in dict(files).items():
        if size > blobs.max_file_bytes:
            continue  # refused when offered: asking would keep the node trying it
        if store.blob_size(sha256) is not None:
            continue
        if blobs.partial_path(sha256).exists():
            continue  # on its way: the node's own offers say where to resume
        asks.append(wire.ChunkAck(node_id, sha256, 0, False))
    return asks


class FileAsks:
    """When to ask: per batch always; per node once per process (see the module doc)."""

    def __init__(self, store: CentralStore, blobs: BlobReceiver) -> None:
        self._store = store
        self._blobs = blobs
        self._lock = threading.Lock()
        self._checked: set[str] = set()  # nodes whose files were all looked over

    def on_batch(self, batch: wire.EventBatch) -> list[wire.ChunkAck]:
        return lacking(self._store, self._blobs, batch.node_id, named(batch))

    def on_birth(self, node_id: str) -> list[wire.ChunkAck]:
        with self._lock:
            if node_id in self._checked:
                return []
        missing = self._store.missing_files(node_id, PER_BIRTH)
        if len(missing) < PER_BIRTH:
            with self._lock:
                self._checked.add(node_id)
        return lacking(self._store, self._blobs, node_id, missing)
