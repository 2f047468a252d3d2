"""The city's dossiers for the citizen's public lookup (web/public_pages), from its store
(SQLite or PostgreSQL)."""

from __future__ import annotations

from central.store import CentralStore
from rules.event_record import EventRecord
from rules.projection import DossierState


class CityProgressSource:
    def __init__(self, store: CentralStore) -> None:
        self._store = store

    def states_by_code(self, code: str) -> list[DossierState]:
        return self._store.dossiers_by_code(code)

    def events_of(self, dossier_id: str) -> list[EventRecord]:
        view = self._store.get_dossier(dossier_id)
        return [] if view is None else view.events
