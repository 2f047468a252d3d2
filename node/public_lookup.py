"""The node's dossiers for the citizen's public pages (web/public_pages): read from the
node's own database, so the office's lookup screen works with the link to the city down."""

from __future__ import annotations

from node import dossier_store, event_log
from node.runtime import NodeRuntime
from rules.event_record import EventRecord
from rules.projection import DossierState


class NodeProgressSource:
    def __init__(self, runtime: NodeRuntime) -> None:
        self._runtime = runtime

    def states_by_code(self, code: str) -> list[DossierState]:
        found = dossier_store.load_by_code(self._runtime.db.read(), code)
        return [] if found is None else [found]

    def events_of(self, dossier_id: str) -> list[EventRecord]:
        return event_log.for_stream(self._runtime.db.read(), dossier_id)
