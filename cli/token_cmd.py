"""``motcua token`` and ``motcua central token``: per-user API tokens (create, revoke,
list), one set of commands over a node's accounts or the city's (cli.user_cmd.AccountsCli)."""

from __future__ import annotations

from pathlib import Path

import click

from accounts import tokens
from cli.common import operator
from cli.user_cmd import NODE_ACCOUNTS, AccountsCli, run


def token_commands(door: AccountsCli) -> click.Group:
    """The ``token`` group of commands over ``door``'s accounts."""

    @click.group(
        "token", help="API tokens: a script authenticates with 'Authorization: Bearer TOKEN'."
    )
    def group() -> None:
        pass

    @group.command("create")
    @door.data_dir_option
    @click.argument("user")
    @click.option("--name", default="", help="What the token is for, e.g. 'province sync script'.")
    def create_cmd(data_dir: Path, user: str, name: str) -> None:
        """Create a token acting as USER and print only the token (it is not stored: keep it)."""
        _, token = run(door, data_dir, lambda db: tokens.create(db, operator("cli"), user, name))
        click.echo(token)

    @group.command("revoke")
    @door.data_dir_option
    @click.argument("token_id")
    def revoke_cmd(data_dir: Path, token_id: str) -> None:
        """Revoke the token TOKEN_ID (from 'token list'): it stops working at once."""
        run(door, data_dir, lambda db: tokens.revoke(db, operator("cli"), token_id))
        click.echo(f"revoked {token_id}")

    @group.command("list")
    @door.data_dir_option
    def list_cmd(data_dir: Path) -> None:
        """Every token: id, user, name, created, last used, revoked."""
        for t in run(door, data_dir, lambda db: tokens.list_tokens(db, operator("cli"))):
            state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
            used = t.last_used_at or "never used"
            click.echo(f"{t.id}\t{t.user_id}\t{t.name}\tcreated {t.created_at}\t{used}\t{state}")

    return group


token_group = token_commands(NODE_ACCOUNTS)
