"""How a client of the JSON API authenticates, as the OpenAPI document says it: the two
ways the log-in door (``web.auth.middleware``) accepts, named from the same constants it
reads, so the document cannot drift from the door."""

from __future__ import annotations

from litestar.openapi.spec import SecurityScheme

from accounts.tokens import PREFIX
from web.auth.csrf import FIELD, HEADER_NAME
from web.auth.middleware import COOKIE

BEARER_SCHEME = "bearerToken"
COOKIE_SCHEME = "sessionCookie"


def security_schemes(token_command: str) -> dict[str, SecurityScheme]:
    """The schemes of ``components.securitySchemes``; ``token_command`` makes a token on
    this side (a node's or the city's accounts)."""
    bearer = SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format=f"{PREFIX}…",
        description=f"An API token, for scripts: 'Authorization: Bearer TOKEN'. `{token_command}`"
        " prints one (once: it is kept hashed); it acts as that account, with its roles, and"
        " needs no CSRF token.",
    )
    cookie = SecurityScheme(
        type="apiKey",
        name=COOKIE,
        security_scheme_in="cookie",
        description="The session of the staff pages, set by the log-in page (`POST /login`,"
        " form fields `username` and `password`). A request with it that changes anything"
        f" (POST, PUT, PATCH, DELETE) must carry the session's CSRF token in the `{HEADER_NAME}`"
        f" header (or the `{FIELD}` form field, the first part of a multipart form), as the"
        " pages do; without it the answer is 403 and nothing is changed.",
    )
    return {BEARER_SCHEME: bearer, COOKIE_SCHEME: cookie}
