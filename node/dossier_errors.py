"""Errors the dossier rules raise; the API turns them into 4xx answers naming the field."""

from __future__ import annotations


class DossierError(Exception):
    """A request the rules refuse; ``field`` names the input at fault, when one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DossierError):
    pass
