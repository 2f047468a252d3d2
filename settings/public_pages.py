"""The citizen's public pages (``[lookup]``, at a node and at the city): how often one client
address may ask, so a PIN cannot be guessed by trying.

Every request counts against ``max_requests``; a wrong code or PIN also counts against the
stricter ``max_failures``. Either limit reached: 429 until the window has slid past.
"""

from __future__ import annotations

import msgspec

from settings.loading import ConfigError


class LookupSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # The sliding window, in seconds, both limits count over.
    window_seconds: int = 600
    # Requests of one client address in the window (a family checking a few dossiers).
    max_requests: int = 60
    # Wrong code or PIN answers in the window: with a million PINs, ten guesses is nothing.
    max_failures: int = 10


def validate_lookup(lookup: LookupSettings, source: str) -> None:
    if not 1 <= lookup.window_seconds <= 86_400:
        raise ConfigError(f"{source}: lookup.window_seconds must be 1-86400")
    if lookup.max_requests < 1 or lookup.max_failures < 1:
        raise ConfigError(f"{source}: lookup.max_requests and lookup.max_failures must be >= 1")
