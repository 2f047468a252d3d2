"""``/login``, ``POST /logout`` and the user's language (``POST /account/language``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from accounts import login, sessions, users
from web.auth.home import AccountsHome
from web.auth.middleware import COOKIE, cookie_value, local_path
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.rendering import page

Home = NamedDependency[AccountsHome]
THROTTLE = login.Throttle()
FAILED = vi(
    "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang tạm khóa. "
    "Xin kiểm tra lại; nếu vẫn không được, hãy liên hệ quản trị viên."
)


@dataclass
class LoginForm:
    username: str = ""
    password: str = ""
    next: str = "/"


@dataclass
class LanguageForm:
    lang: str = "vi"
    next: str = "/"


Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def limits(accounts_home: AccountsHome) -> sessions.Limits:
    auth = accounts_home.auth_settings
    return sessions.Limits(
        timedelta(minutes=auth.session_idle_minutes), timedelta(hours=auth.session_max_hours)
    )


def session_cookie(request: Request[Any, Any, Any], value: str, *, expire: bool = False) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=value,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=0 if expire else None,
    )


class LoginPages(Controller):
    include_in_schema = False

    @get("/login", name="auth:login_form", opt={"public": True})
    async def login_form(
        self, request: Request[Any, Any, Any], next: FromQuery[str] = "/"
    ) -> Template | Redirect:
        if request.scope.get("state", {}).get("actor") is not None:
            return Redirect(local_path(next), status_code=303)
        return page(request, "login.html", actor=None, username="", error="", next=local_path(next))

    @post("/login", name="auth:login", opt={"public": True}, status_code=303)
    async def login(
        self,
        request: Request[Any, Any, Any],
        accounts_home: Home,
        data: Annotated[LoginForm, Form],
    ) -> Template | Redirect:
        target = local_path(data.next)
        user = await anyio.to_thread.run_sync(
            login.authenticate, accounts_home.accounts_db, data.username[:200], data.password
        )
        if user is None:
            await anyio.sleep(THROTTLE.failed(data.username))
            return page(
                request,
                "login.html",
                actor=None,
                username=data.username[:200],
                error=FAILED,
                next=target,
                status_code=200,
            )
        THROTTLE.succeeded(data.username)
        old = cookie_value(request.scope)

        def start() -> str:
            if old:  # never carry a session id across a log-in
                sessions.end(accounts_home.accounts_db, old)
            sessions.end_expired(accounts_home.accounts_db, limits(accounts_home))
            return sessions.create(accounts_home.accounts_db, user.id)[0]

        session_id = await anyio.to_thread.run_sync(start)
        return Redirect(target, status_code=303, cookies=[session_cookie(request, session_id)])

    @post("/logout", name="auth:logout", opt={"own_account": True}, status_code=303)
    async def logout(self, request: Request[Any, Any, Any], accounts_home: Home) -> Redirect:
        session_id = cookie_value(request.scope)
        if session_id:
            await anyio.to_thread.run_sync(sessions.end, accounts_home.accounts_db, session_id)
        return Redirect(
            "/login", status_code=303, cookies=[session_cookie(request, "", expire=True)]
        )

    @post(
        "/account/language",
        name="auth:language",
        opt={"own_account": True},
        status_code=303,
        sync_to_thread=True,
    )
    def language(
        self, accounts_home: Home, actor: CurrentActor, data: Annotated[LanguageForm, Form]
    ) -> Redirect:
        users.set_language(accounts_home.accounts_db, actor, data.lang)
        return Redirect(local_path(data.next), status_code=303)
