"""The access-control pages, for the node's app to mount."""

from __future__ import annotations

from pathlib import Path

from litestar.types import ControllerRouterHandler

from accounts import sessions
from web.auth.accounts_page import AccountsPage
from web.auth.home import AccountsHome
from web.auth.login_pages import LoginPages, limits

AUTH_TEMPLATES = Path(__file__).parent / "templates"
AUTH_PAGE_HANDLERS: list[ControllerRouterHandler] = [LoginPages, AccountsPage]


def expire_sessions(accounts_home: AccountsHome) -> None:
    """At start-up: sessions past their limits are deleted (the rest survive a restart)."""
    sessions.end_expired(accounts_home.accounts_db, limits(accounts_home))
