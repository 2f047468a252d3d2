"""``motcua user`` and ``motcua central user``: accounts (add, passwd, disable, enable,
unlock, list). One set of commands serves a node and the city (:class:`AccountsCli`); only
the database, the roles and the city's ``--node`` differ."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from accounts import users
from accounts.sites import NODE_SITE, SCOPED_ROLES, AccountSite
from cli.common import data_dir_option, fail, opened_node, operator
from rules.actor import Role
from rules.errors import DossierError, NotFound
from storage.db import Database

EXIT_BAD_INPUT = 2
T = TypeVar("T")


@dataclass(frozen=True)
class AccountsCli:
    """Where a set of account commands works: a node's database or the city's."""

    site: AccountSite
    opened: Callable[[Path], AbstractContextManager[Database]]  # the accounts database
    data_dir_option: Callable[[Any], Any]
    where: str  # in help texts: "the node's", "the city's"


@contextmanager
def node_accounts(data_dir: Path) -> Iterator[Database]:
    with opened_node(data_dir) as rt:
        yield rt.accounts_db


NODE_ACCOUNTS = AccountsCli(NODE_SITE, node_accounts, data_dir_option, "the node's")


def read_password(given: str | None) -> str:
    """``--password``, else typed twice at a terminal, else the first line of stdin."""
    if given is not None:
        return given
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def run(door: AccountsCli, data_dir: Path, work: Callable[[Database], T]) -> T:
    """``work(accounts database)`` with bad input as exit 2 (nothing written) and a clear
    message naming the field."""
    with door.opened(data_dir) as db:
        try:
            return work(db)
        except (DossierError, NotFound) as exc:
            field = getattr(exc, "field", None)
            fail(f"{exc}" + (f" ({field})" if field else ""), EXIT_BAD_INPUT)
            raise  # unreachable


def user_commands(door: AccountsCli) -> click.Group:
    """The ``user`` group of commands over ``door``'s accounts."""

    @click.group("user", help=f"Accounts of {door.where} web pages and API.")
    def group() -> None:
        pass

    with_node = bool(door.site.roles & SCOPED_ROLES)

    @click.argument("user")
    @click.option(
        "--role",
        "roles",
        multiple=True,
        required=True,
        type=click.Choice([r.value for r in Role if r in door.site.roles]),
        help="A role of the user (repeat for several).",
    )
    @click.option("--password", default=None, help="The password [default: read from stdin].")
    @click.option("--name", "display_name", default="", help="Display name, e.g. 'Nguyễn Văn A'.")
    @click.option("--language", type=click.Choice(users.LANGUAGES), default="vi", show_default=True)
    def add_cmd(
        data_dir: Path,
        user: str,
        roles: tuple[str, ...],
        password: str | None,
        display_name: str,
        language: str,
        node: str | None = None,
    ) -> None:
        """Add the account USER with its roles."""
        secret = read_password(password)
        added = run(
            door,
            data_dir,
            lambda db: users.add(
                db,
                operator("cli"),
                user,
                roles,
                secret,
                display_name or user,
                language,
                site=door.site,
                node_id=node,
            ),
        )
        scope = f", node {added.node_id}" if added.node_id else ""
        click.echo(f"added {added.id} ({', '.join(added.roles)}{scope})")

    if with_node:
        add_cmd = click.option(
            "--node", default=None, help="The one node a commune-viewer sees (its node id)."
        )(add_cmd)
    group.command("add")(door.data_dir_option(add_cmd))

    @group.command("passwd")
    @door.data_dir_option
    @click.argument("user")
    @click.option("--password", default=None, help="The new password [default: read from stdin].")
    def passwd_cmd(data_dir: Path, user: str, password: str | None) -> None:
        """Set USER's password (its sessions end)."""
        secret = read_password(password)
        run(door, data_dir, lambda db: users.set_password(db, operator("cli"), user, secret))
        click.echo(f"password of {users.normalise_name(user)} changed")

    @group.command("disable")
    @door.data_dir_option
    @click.argument("user")
    def disable_cmd(data_dir: Path, user: str) -> None:
        """Disable USER: its sessions and API tokens stop working at once."""
        done = run(door, data_dir, lambda db: users.set_disabled(db, operator("cli"), user, True))
        click.echo(f"disabled {done.id}")

    @group.command("enable")
    @door.data_dir_option
    @click.argument("user")
    def enable_cmd(data_dir: Path, user: str) -> None:
        """Enable USER again."""
        done = run(door, data_dir, lambda db: users.set_disabled(db, operator("cli"), user, False))
        click.echo(f"enabled {done.id}")

    @group.command("unlock")
    @door.data_dir_option
    @click.argument("user")
    def unlock_cmd(data_dir: Path, user: str) -> None:
        """Lift USER's lock-out after repeated failed log-ins."""
        done = run(door, data_dir, lambda db: users.unlock(db, operator("cli"), user))
        click.echo(f"unlocked {done.id}")

    @group.command("list")
    @door.data_dir_option
    def list_cmd(data_dir: Path) -> None:
        """Every account: name, roles, language, state (and a commune-viewer's node)."""
        for u in run(door, data_dir, lambda db: users.list_users(db, operator("cli"))):
            state = "disabled" if u.disabled else ("locked" if u.locked_until else "active")
            if u.locked_until and not u.disabled:
                state = f"locked until {u.locked_until}"
            line = f"{u.id}\t{','.join(u.roles)}\t{u.language}\t{state}\t{u.display_name}"
            click.echo(line + (f"\t{u.node_id or '-'}" if with_node else ""))

    return group


user_group = user_commands(NODE_ACCOUNTS)
