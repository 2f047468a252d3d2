"""The lock on the node's door: every request but the public ones is authenticated.

A request is authenticated by ``Authorization: Bearer TOKEN`` (scripts; no CSRF token
needed: a browser never adds that header by itself) or by the session cookie (staff
browsers; a request that changes anything must carry the session's CSRF token). The
account is read on each request, so disabling it stops its sessions and tokens at once.

What an anonymous request gets: 401 (JSON, like the API's other errors) under ``/api/``,
a 303 to ``/login?next=PATH`` elsewhere. Public: handlers declared with ``opt={"public":
True}`` (``/healthz``, ``/login``) and static assets under ``/static/``. A public route
takes no CSRF token (the log-in ends any session the browser held), so a POST to one must
come from a page of the node itself (``Origin``): no other site logs a browser in.

It sets ``scope["state"]``: ``actor`` (rules.actor.Actor), ``user``, ``csrf_token`` and
``lang`` for the page templates (web/page_kit/request_context.py reads the last two).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import anyio
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from accounts import sessions, tokens
from accounts.users import User
from rules.permissions import Forbidden, Permission, may
from storage.faults import is_disk_full
from web.auth import csrf
from web.auth.home import AccountsHome
from web.json_api.api_docs import ASSETS_PATH

log = logging.getLogger("motcua.http.auth")

COOKIE = "motcua_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATIC_PREFIX = "/static/"
FILE_PREFIXES = (STATIC_PREFIX, ASSETS_PATH + "/")  # the routes that serve files from disk


@dataclass(frozen=True)
class Caller:
    user: User
    csrf_token: str  # "" for a token: it needs none
    by_cookie: bool


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def is_public(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    if handler is not None and handler.opt.get("public"):
        return True
    return str(scope["path"]).startswith(STATIC_PREFIX)


def is_own_account(scope: Scope) -> bool:
    """A route any signed-in account may use whatever its roles (log out, its language):
    the sites' role guards let it through."""
    handler = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get("own_account"))


def cookie_value(scope: Scope, name: str = COOKIE) -> str:
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in bytes(value).decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return ""


def _authorization(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            return bytes(value).decode("latin-1")
    return None


def local_path(target: str) -> str:
    """``target`` if it is a path on this node, else ``/`` (never an open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 32 for c in target):
        return "/"
    return target


async def _send(
    send: Send, status: int, body: bytes, ctype: str, headers: list[tuple[bytes, bytes]]
) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", ctype.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *headers,
        ],
    }
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)


async def refuse(send: Send, scope: Scope, status: int, detail: str, detail_vi: str) -> None:
    if is_api(str(scope["path"])):
        body = json.dumps({"status_code": status, "detail": detail}).encode()
        extra = [(b"www-authenticate", b'Bearer realm="motcua"')] if status == 401 else []
        await _send(send, status, body, "application/json", extra)
        return
    page = (
        '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Lỗi</title>'
        f'<p>{detail_vi}</p><p><a href="/">Về trang chính</a></p></html>'
    )
    await _send(send, status, page.encode(), "text/html; charset=utf-8", [])


async def redirect_to_login(send: Send, scope: Scope) -> None:
    target = str(scope["path"])
    if scope.get("query_string"):
        target += "?" + bytes(scope["query_string"]).decode("latin-1")
    location = "/login?next=" + quote(local_path(target), safe="")
    await _send(send, 303, b"", "text/plain", [(b"location", location.encode("latin-1"))])


async def _bookkeeping(touch: Callable[..., None], *args: object) -> None:
    """A "last used" write: on a full disk it is skipped, so reads still answer (the write
    the request itself makes, if any, answers 507: web.json_api.errors)."""
    try:
        await anyio.to_thread.run_sync(touch, *args)
    except Exception as exc:
        if not is_disk_full(exc):
            raise


class AuthMiddleware:
    """Who is calling (a session cookie or an API token), and whether the site lets them in.

    ``site_permission``: what an account must hold to reach any route of this site but the
    public ones and its own (log-out, language): at a node a staff role, at the city a city
    role. Checked here, once per request, rather than by a Litestar guard, which costs a copy
    of the route handler per request (and a worker thread for a plain function); each
    service still checks its own operation.
    """

    def __init__(
        self,
        app: ASGIApp,
        accounts_home: AccountsHome,
        site_permission: Permission | None = None,
    ) -> None:
        self.app = app
        self.site_permission = site_permission
        self.db = accounts_home.accounts_db
        auth = accounts_home.auth_settings
        self.limits = sessions.Limits(
            timedelta(minutes=auth.session_idle_minutes), timedelta(hours=auth.session_max_hours)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        if "\x00" in str(scope["path"]) and str(scope["path"]).startswith(FILE_PREFIXES):
            # Litestar's static files pass a NUL to os.stat: a 500 and a traceback. (Other
            # routes' parameters refuse it themselves, naming the field.)
            await refuse(send, scope, 400, "the path holds a NUL byte", "Địa chỉ không hợp lệ.")
            return
        state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
        state.setdefault("lang", "vi")
        state.setdefault("csrf_token", "")
        authorization = _authorization(scope)
        if authorization is not None:
            caller = await self._by_token(authorization)
            if caller is None:
                await refuse(
                    send,
                    scope,
                    401,
                    "the API token is unknown, revoked, or its account is disabled",
                    "Mã truy cập không hợp lệ hoặc tài khoản đã bị khóa.",
                )
                return
        else:
            caller = await self._by_cookie(scope)
        public = is_public(scope)
        unsafe = scope.get("method", "") not in SAFE_METHODS
        if public and unsafe and not csrf.same_origin(scope):
            # A public form has no session token to check: another site's page posting to
            # /login would sign the browser in to an account of that site's choosing.
            log.warning("cross_origin_post_refused path=%r", scope["path"])
            await refuse(
                send,
                scope,
                403,
                "a page of another site may not post here",
                "Biểu mẫu không đến từ máy này. Hãy mở trang đăng nhập rồi thử lại.",
            )
            return
        if caller is None:
            if public:
                await self.app(scope, receive, send)
            elif is_api(str(scope["path"])):
                await refuse(
                    send,
                    scope,
                    401,
                    "log in first: a session cookie from /login, or 'Authorization: Bearer "
                    "TOKEN' (motcua token create)",
                    "Xin đăng nhập trước.",
                )
            else:
                await redirect_to_login(send, scope)
            return
        actor = caller.user.actor()
        if (
            self.site_permission is not None
            and not public
            and not is_own_account(scope)
            and not may(actor, self.site_permission)
        ):
            log.warning("site_refused user=%r path=%r", caller.user.id, scope["path"])
            await refuse(
                send,
                scope,
                403,
                str(Forbidden(actor, self.site_permission)),
                "Tài khoản này không có quyền dùng trang này.",
            )
            return
        state["actor"] = actor
        state["user"] = caller.user
        state["lang"] = caller.user.language
        state["csrf_token"] = caller.csrf_token
        # A public route (the log-in) takes no session's token: it ends whatever session
        # the browser held (one planted by someone else too) and starts a new one.
        if caller.by_cookie and unsafe and not public:
            sent, receive = await csrf.find_token(scope, receive)
            if not (sent and hmac.compare_digest(sent.encode(), caller.csrf_token.encode())):
                log.warning(
                    "csrf_refused user=%r method=%s path=%r",
                    caller.user.id,
                    scope.get("method", ""),
                    scope["path"],
                )
                await refuse(
                    send,
                    scope,
                    403,
                    "the CSRF token is missing or wrong: send the session's token in the "
                    "X-CSRF-Token header (or the _csrf_token form field)",
                    "Biểu mẫu đã cũ hoặc không hợp lệ (thiếu mã bảo vệ CSRF). "
                    "Hãy tải lại trang rồi thử lại.",
                )
                return
        await self.app(scope, receive, send)

    async def _by_token(self, authorization: str) -> Caller | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        found = tokens.resolve(self.db, token.strip())
        if found is None:
            return None
        user, token_id, stale = found
        if stale:
            await _bookkeeping(tokens.touch, self.db, token_id)
        return Caller(user, "", by_cookie=False)

    async def _by_cookie(self, scope: Scope) -> Caller | None:
        session_id = cookie_value(scope)
        if not session_id:
            return None
        session = sessions.resolve(self.db, session_id, self.limits)
        if session is None:
            return None
        if sessions.needs_touch(session):
            await _bookkeeping(sessions.touch, self.db, session)
        return Caller(session.user, session.csrf_token, by_cookie=True)
