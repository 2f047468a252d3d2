"""The city asks a node for files it lacks: a city restored from an old copy lost some.

A node sends a file again only when the city says it lacks it, and holds every file the
city once acknowledged as delivered. So the city tells it, with the ``ChunkAck`` it
answers an offer with (offset 0, not complete), for each file its held events name and it
holds no byte of: after each batch for the files that batch names (resent events of a
restored city come back this way) and on each Birth for any of the node's files.
"""

from __future__ import annotations

from typing import Final

from central.blob_receiver import BlobReceiver
from central.store import CentralStore
from rules.event_kinds import DocumentAttached, decode_body
from sync import wire

#: Files asked for on one Birth at most; the next Birth (or batch) asks for the rest.
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
