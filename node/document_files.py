"""The stored bytes of a dossier's document, for a staff member to view or download."""

from __future__ import annotations

from pathlib import Path

from node import dossier_store
from node.runtime import NodeRuntime
from rules.errors import NotFound
from rules.projection import DocumentRef


def document_file(rt: NodeRuntime, dossier_id: str, sha256: str) -> tuple[DocumentRef, Path]:
    """The document ``sha256`` attached to ``dossier_id`` and the path of its bytes.

    NotFound unless the dossier holds that document and its bytes are in the store: a digest
    alone never opens a file of another dossier.
    """
    state = dossier_store.load(rt.db.read(), dossier_id)
    ref = None if state is None else next((d for d in state.documents if d.sha256 == sha256), None)
    if ref is None:
        raise NotFound(f"dossier {dossier_id!r} has no document {sha256!r}")
    path = rt.blobs.path_for(ref.sha256)
    if not path.exists():
        raise NotFound(f"the bytes of document {sha256} are missing from the store")
    return ref, path
