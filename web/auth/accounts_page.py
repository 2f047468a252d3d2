"""The administrator's accounts page (``/admin/accounts``): list, add, disable and enable,
reset a password, unlock. Every change goes through accounts.users, which checks the
``manage_accounts`` permission itself; the page only shows it to administrators.

One page for a node and the city: the roles offered are the home's
(``AccountsHome.account_site``), the frame is the site's (``frame``: the city's app mounts
a subclass with its own), and the node field shows where a role needs one (commune-viewer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, PathParameter
from litestar.response import Redirect, Template

from accounts import passwords, users
from accounts.sites import SCOPED_ROLES
from rules.actor import Actor, Role
from rules.errors import DossierError
from rules.permissions import Operation, may
from web.auth.home import AccountsHome
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.staff_pages.navigation import staff_page

Home = NamedDependency[AccountsHome]
Req = Request[Any, Any, Any]
UserName = Annotated[str, PathParameter(pattern=users.USER_NAME_RE.pattern)]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
PATH = "/admin/accounts"
DONE = {
    "added": vi("Đã thêm tài khoản."),
    "disabled": vi("Đã khóa tài khoản; các phiên và mã truy cập của tài khoản dừng ngay."),
    "enabled": vi("Đã mở lại tài khoản."),
    "unlocked": vi("Đã mở khóa đăng nhập."),
    "password": vi("Đã đặt mật khẩu mới; tài khoản phải đăng nhập lại."),
}
ROLE_LABELS = {
    Role.RECEPTION: vi("Cán bộ tiếp nhận"),
    Role.PROCESSING: vi("Chuyên viên xử lý"),
    Role.LEADER: vi("Lãnh đạo"),
    Role.ADMIN: vi("Quản trị"),
    Role.CITY_VIEWER: vi("Xem mọi xã, phường"),
    Role.COMMUNE_VIEWER: vi("Xem một xã, phường"),
}
FIELD_LABELS = {"user": "username", "role": "roles", "node": "node_id"}


@dataclass
class AddForm:
    username: str = ""
    display_name: str = ""
    password: str = ""
    language: str = "vi"
    roles: str | list[str] = field(default_factory=list)  # one checkbox ticked: a str
    node_id: str = ""  # a commune-viewer's node (shown where the site has that role)


@dataclass
class PasswordForm:
    password: str = ""


class AccountsPage(Controller):
    path = PATH
    include_in_schema = False
    # The site's page frame: the shared template with the site's menu.
    frame = staticmethod(staff_page)

    def _forbidden(self, request: Request[Any, Any, Any], actor: Actor) -> Template:
        return self.frame(request, "forbidden.html", actor=actor, status_code=403)

    def _render(
        self,
        request: Request[Any, Any, Any],
        accounts_home: AccountsHome,
        actor: Actor,
        *,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        done: str = "",
        status_code: int = 200,
    ) -> Template:
        site = accounts_home.account_site
        return self.frame(
            request,
            "accounts.html",
            actor=actor,
            status_code=status_code,
            accounts=users.list_users(accounts_home.accounts_db, actor),
            roles=[(r.value, ROLE_LABELS[r]) for r in ROLE_LABELS if r in site.roles],
            all_role_labels={r.value: ROLE_LABELS[r] for r in ROLE_LABELS},
            with_node=bool(site.roles & SCOPED_ROLES),
            values=values or {"language": "vi", "roles": []},
            errors=errors or {},
            done=DONE.get(done, ""),
            min_length=passwords.MIN_LENGTH,
        )

    @get("/", name="auth:accounts", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        accounts_home: Home,
        actor: CurrentActor,
        done: FromQuery[str] = "",
    ) -> Template:
        if not may(actor, Operation.MANAGE_ACCOUNTS):
            return self._forbidden(request, actor)
        return self._render(request, accounts_home, actor, done=done)

    @post("/", name="auth:accounts_add", sync_to_thread=True, status_code=303)
    def add(
        self,
        request: Request[Any, Any, Any],
        accounts_home: Home,
        actor: CurrentActor,
        data: Annotated[AddForm, Form],
    ) -> Template | Redirect:
        if not may(actor, Operation.MANAGE_ACCOUNTS):
            return self._forbidden(request, actor)
        roles = [data.roles] if isinstance(data.roles, str) else list(data.roles)
        try:
            users.add(
                accounts_home.accounts_db,
                actor,
                data.username,
                roles,
                data.password,
                data.display_name,
                data.language,
                site=accounts_home.account_site,
                node_id=data.node_id or None,
            )
        except DossierError as exc:
            name = FIELD_LABELS.get(exc.field or "", exc.field or "username")
            values = {**vars(data), "roles": roles, "password": ""}
            return self._render(
                request,
                accounts_home,
                actor,
                values=values,
                errors={name: str(exc)},
                status_code=400,
            )
        return Redirect(f"{PATH}?done=added", status_code=303)

    def _change(
        self,
        request: Request[Any, Any, Any],
        accounts_home: AccountsHome,
        actor: Actor,
        user_id: str,
        done: str,
        work: Any,
    ) -> Template | Redirect:
        if not may(actor, Operation.MANAGE_ACCOUNTS):
            return self._forbidden(request, actor)
        try:
            work()
        except DossierError as exc:
            return self._render(
                request, accounts_home, actor, errors={f"u-{user_id}": str(exc)}, status_code=400
            )
        return Redirect(f"{PATH}?done={done}", status_code=303)

    @post("/{user_id:str}/disable", name="auth:accounts_disable", sync_to_thread=True)
    def disable(
        self,
        request: Request[Any, Any, Any],
        accounts_home: Home,
        actor: CurrentActor,
        user_id: UserName,
    ) -> Template | Redirect:
        return self._change(
            request,
            accounts_home,
            actor,
            user_id,
            "disabled",
            lambda: users.set_disabled(accounts_home.accounts_db, actor, user_id, True),
        )

    @post("/{user_id:str}/enable", name="auth:accounts_enable", sync_to_thread=True)
    def enable(
        self,
        request: Request[Any, Any, Any],
        accounts_home: Home,
        actor: CurrentActor,
        user_id: UserName,
    ) -> Template | Redirect:
        return self._change(
            request,
            accounts_home,
            actor,
            user_id,
            "enabled",
            lambda: users.set_disabled(accounts_home.accounts_db, actor, user_id, False),
        )

    @post("/{user_id:str}/unlock", name="auth:accounts_unlock", sync_to_thread=True)
    def unlock(
        self,
        request: Request[Any, Any, Any],
        accounts_home: Home,
        actor: CurrentActor,
        user_id: UserName,
    ) -> Template | Redirect:
        return self._change(
            request,
            accounts_home,
            actor,
            user_id,
            "unlocked",
            lambda: users.unlock(accounts_home.accounts_db, actor, user_id),
        )

    @post("/{user_id:str}/password", name="auth:accounts_password", sync_to_thread=True)
    def password(
        self,
        request: Request[Any, Any, Any],
        accounts_home: Home,
        actor: CurrentActor,
        user_id: UserName,
        data: Annotated[PasswordForm, Form],
    ) -> Template | Redirect:
        return self._change(
            request,
            accounts_home,
            actor,
            user_id,
            "password",
            lambda: users.set_password(accounts_home.accounts_db, actor, user_id, data.password),
        )
