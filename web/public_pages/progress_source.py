"""Where the public lookup reads dossiers: the node's own database, or the city's store.
Each app provides one under the dependency key ``progress_source``."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from rules.event_record import EventRecord
from rules.projection import DossierState


@runtime_checkable
class ProgressSource(Protocol):
    def states_by_code(self, code: str) -> list[DossierState]:
        """Every dossier with this code (one, or none; the city may in theory hold two)."""
        ...

    def events_of(self, dossier_id: str) -> list[EventRecord]:
        """The dossier's events, in any order (the lookup folds them canonically)."""
        ...
