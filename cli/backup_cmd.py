"""``motcua backup OUT``: an online, consistent copy while the server runs."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import data_dir_option, fail
from node.backup import BackupError, backup
from settings import node as config_mod
from storage.db import DatabaseError


@click.command("backup")
@data_dir_option
@click.argument("out", type=click.Path(path_type=Path))
def backup_cmd(data_dir: Path, out: Path) -> None:
    """Copy the database, config and document files into the new folder OUT."""
    if not (data_dir / config_mod.DATABASE_NAME).exists():
        fail(f"{data_dir / config_mod.DATABASE_NAME}: no database to back up")
    try:
        report = backup(data_dir, out)
    except (BackupError, DatabaseError) as exc:
        fail(str(exc))
    click.echo(
        f"backup written to {report.out}: {report.events} events, "
        f"{report.files} files ({report.file_bytes} bytes), "
        f"database {report.database_bytes} bytes"
    )
