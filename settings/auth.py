"""Log-in settings, the same table (``[auth]``) at a commune node and at the city."""

from __future__ import annotations

import msgspec


class AuthSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # A session ends after this long without a request (covers the lunch break) ...
    session_idle_minutes: int = 240
    # ... and this long after log-in whatever happens (one office day, then log in again).
    session_max_hours: int = 14
