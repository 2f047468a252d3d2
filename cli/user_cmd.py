"""``motcua user``: staff accounts (add, passwd, disable, enable, unlock, list)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from accounts import users
from cli.common import data_dir_option, fail, opened_node, operator
from rules.actor import STAFF_ROLES, Role
from rules.errors import DossierError, NotFound

EXIT_BAD_INPUT = 2
T = TypeVar("T")


def read_password(given: str | None) -> str:
    """``--password``, else typed twice at a terminal, else the first line of stdin."""
    if given is not None:
        return given
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def run(data_dir: Path, work: Callable[..., T]) -> T:
    """``work(runtime)`` with bad input as exit 2 (nothing written) and a clear message."""
    with opened_node(data_dir) as rt:
        try:
            return work(rt)
        except (DossierError, NotFound) as exc:
            field = getattr(exc, "field", None)
            fail(f"{exc}" + (f" ({field})" if field else ""), EXIT_BAD_INPUT)
            raise  # unreachable


@click.group("user")
def user_group() -> None:
    """Staff accounts of the node's web pages and API."""


@user_group.command("add")
@data_dir_option
@click.argument("user")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role if r in STAFF_ROLES]),
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
) -> None:
    """Add the account USER with its roles."""
    secret = read_password(password)
    added = run(
        data_dir,
        lambda rt: users.add(
            rt.db, operator("cli"), user, roles, secret, display_name or user, language
        ),
    )
    click.echo(f"added {added.id} ({', '.join(added.roles)})")


@user_group.command("passwd")
@data_dir_option
@click.argument("user")
@click.option("--password", default=None, help="The new password [default: read from stdin].")
def passwd_cmd(data_dir: Path, user: str, password: str | None) -> None:
    """Set USER's password (its sessions end)."""
    secret = read_password(password)
    run(data_dir, lambda rt: users.set_password(rt.db, operator("cli"), user, secret))
    click.echo(f"password of {users.normalise_name(user)} changed")


@user_group.command("disable")
@data_dir_option
@click.argument("user")
def disable_cmd(data_dir: Path, user: str) -> None:
    """Disable USER: its sessions and API tokens stop working at once."""
    done = run(data_dir, lambda rt: users.set_disabled(rt.db, operator("cli"), user, True))
    click.echo(f"disabled {done.id}")


@user_group.command("enable")
@data_dir_option
@click.argument("user")
def enable_cmd(data_dir: Path, user: str) -> None:
    """Enable USER again."""
    done = run(data_dir, lambda rt: users.set_disabled(rt.db, operator("cli"), user, False))
    click.echo(f"enabled {done.id}")


@user_group.command("unlock")
@data_dir_option
@click.argument("user")
def unlock_cmd(data_dir: Path, user: str) -> None:
    """Lift USER's lock-out after repeated failed log-ins."""
    done = run(data_dir, lambda rt: users.unlock(rt.db, operator("cli"), user))
    click.echo(f"unlocked {done.id}")


@user_group.command("list")
@data_dir_option
def list_cmd(data_dir: Path) -> None:
    """Every account: name, roles, language, state."""
    for u in run(data_dir, lambda rt: users.list_users(rt.db, operator("cli"))):
        state = "disabled" if u.disabled else ("locked" if u.locked_until else "active")
        if u.locked_until and not u.disabled:
            state = f"locked until {u.locked_until}"
        click.echo(f"{u.id}\t{','.join(u.roles)}\t{u.language}\t{state}\t{u.display_name}")
