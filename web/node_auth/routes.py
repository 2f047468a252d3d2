"""The access-control pages, for the node's app to mount."""

from __future__ import annotations

from pathlib import Path

from litestar.types import ControllerRouterHandler

from node.accounts import sessions
from node.runtime import NodeRuntime
from web.node_auth.accounts_page import AccountsPage
from web.node_auth.login_pages import LoginPages, limits

AUTH_TEMPLATES = Path(__file__).parent / "templates"
AUTH_PAGE_HANDLERS: list[ControllerRouterHandler] = [LoginPages, AccountsPage]


def expire_sessions(runtime: NodeRuntime) -> None:
    """At start-up: sessions past their limits are deleted (the rest survive a restart)."""
    sessions.end_expired(runtime.db, limits(runtime))
