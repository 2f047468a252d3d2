"""What a page reads from the request that the access layer put there.

The access middleware (log-in, sessions) sets ``scope["state"]["csrf_token"]`` and
``scope["state"]["lang"]`` for each request it lets through; the pages only read them here, so
neither side knows how the other is built.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from web.page_kit.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translate, translator

# The form field and the header that carry the CSRF token (forms and htmx requests).
CSRF_FIELD = "_csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Before log-in (the log-in page itself) the language comes from this cookie, if any.
LANGUAGE_COOKIE = "lang"


def _state(scope: Any) -> dict[str, Any]:
    state = scope.get("state")
    return state if isinstance(state, dict) else {}


def csrf_token_of(scope: Any) -> str:
    """The session's CSRF token, or "" where no session exists (the log-in page)."""
    token = _state(scope).get("csrf_token", "")
    return token if isinstance(token, str) else ""


def lang_of(scope: Any, cookies: dict[str, str] | None = None) -> str:
    """The user's language; the cookie's before log-in; Vietnamese by default."""
    for candidate in (_state(scope).get("lang"), (cookies or {}).get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT_LANGUAGE


def page_translator(request: Request[Any, Any, Any]) -> Translate:
    """The translation of this request's page: the user's language (``lang_of``)."""
    return translator(lang_of(request.scope, dict(request.cookies)))
