"""``/api/v1/users``: the accounts, for an administrator's scripts (the page is
``/admin/accounts``). Passwords are set here only when an account is added; a reset goes
through the page or ``motcua user passwd``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody, PathParameter

from accounts import users
from web.json_api.identity import CurrentActor
from web.json_api.responses import errors, writes
from web.node_api.dossiers import Runtime

UserName = Annotated[str, PathParameter(pattern=users.USER_NAME_RE.pattern)]


class UserIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    user: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    roles: Annotated[list[str], msgspec.Meta(min_length=1, max_length=4)]
    password: Annotated[str, msgspec.Meta(max_length=1024)]
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    language: str = "vi"


class UsersController(Controller):
    path = "/api/v1/users"
    tags = ["accounts"]  # noqa: RUF012 - Litestar reads a plain list

    @get("/", name="users:list", responses=errors(403), sync_to_thread=True)
    def list_users(self, runtime: Runtime, actor: CurrentActor) -> list[users.User]:
        return users.list_users(runtime.db, actor)

    @post("/", name="users:add", responses=writes(400, 413), sync_to_thread=True)
    def add(self, data: JSONBody[UserIn], runtime: Runtime, actor: CurrentActor) -> users.User:
        return users.add(
            runtime.db,
            actor,
            data.user,
            data.roles,
            data.password,
            data.display_name,
            data.language,
        )

    @post(
        "/{user_id:str}/disable",
        name="users:disable",
        responses=writes(400, 404),
        status_code=200,
        sync_to_thread=True,
    )
    def disable(self, user_id: UserName, runtime: Runtime, actor: CurrentActor) -> users.User:
        return users.set_disabled(runtime.db, actor, user_id, True)

    @post(
        "/{user_id:str}/enable",
        name="users:enable",
        responses=writes(400, 404),
        status_code=200,
        sync_to_thread=True,
    )
    def enable(self, user_id: UserName, runtime: Runtime, actor: CurrentActor) -> users.User:
        return users.set_disabled(runtime.db, actor, user_id, False)
