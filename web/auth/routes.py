"""The access-control pages, for the node's app to mount."""

from __future__ import annotations

import logging
from pathlib import Path

from litestar.types import ControllerRouterHandler

from accounts import sessions
from storage.faults import is_disk_full
from web.auth.accounts_page import AccountsPage
from web.auth.home import AccountsHome
from web.auth.login_pages import LoginPages, limits

log = logging.getLogger("motcua.http.auth")

AUTH_TEMPLATES = Path(__file__).parent / "templates"
AUTH_PAGE_HANDLERS: list[ControllerRouterHandler] = [LoginPages, AccountsPage]


def expire_sessions(accounts_home: AccountsHome) -> None:
    """At start-up: sessions past their limits are deleted (the rest survive a restart).
    On a full disk they are left for the next start: the server must still come up (an
    expired session is refused when used all the same)."""
    try:
        sessions.end_expired(accounts_home.accounts_db, limits(accounts_home))
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        log.warning("expired_sessions_kept reason=disk_full error=%r", str(exc))
