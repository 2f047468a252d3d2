"""``motcua token``: per-user API tokens (create, revoke, list)."""

from __future__ import annotations

from pathlib import Path

import click

from accounts import tokens
from cli.common import data_dir_option, operator
from cli.user_cmd import run


@click.group("token")
def token_group() -> None:
    """API tokens: a script authenticates with 'Authorization: Bearer TOKEN'."""


@token_group.command("create")
@data_dir_option
@click.argument("user")
@click.option("--name", default="", help="What the token is for, e.g. 'province sync script'.")
def create_cmd(data_dir: Path, user: str, name: str) -> None:
    """Create a token acting as USER and print only the token (it is not stored: keep it)."""
    _, token = run(data_dir, lambda rt: tokens.create(rt.db, operator("cli"), user, name))
    click.echo(token)


@token_group.command("revoke")
@data_dir_option
@click.argument("token_id")
def revoke_cmd(data_dir: Path, token_id: str) -> None:
    """Revoke the token TOKEN_ID (from 'motcua token list'): it stops working at once."""
    run(data_dir, lambda rt: tokens.revoke(rt.db, operator("cli"), token_id))
    click.echo(f"revoked {token_id}")


@token_group.command("list")
@data_dir_option
def list_cmd(data_dir: Path) -> None:
    """Every token: id, user, name, created, last used, revoked."""
    for t in run(data_dir, lambda rt: tokens.list_tokens(rt.db, operator("cli"))):
        state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
        used = t.last_used_at or "never used"
        click.echo(f"{t.id}\t{t.user_id}\t{t.name}\tcreated {t.created_at}\t{used}\t{state}")
