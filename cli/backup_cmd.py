"""``motcua backup OUT``: an online, consistent copy while the server runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from cli.common import data_dir_option, fail
from cli.unusable_database import backup_root
from node.backup import BackupError, backup
from settings import node as config_mod
from settings.loading import ConfigError
from storage.db import DatabaseError


@click.command("backup")
@data_dir_option
@click.argument("out", type=click.Path(path_type=Path), required=False)
def backup_cmd(data_dir: Path, out: Path | None) -> None:
    """Copy the database, config and document files into the new folder OUT (default: a
    folder named after the node and the time under $MOTCUA_BACKUP_DIR, else backups/ beside
    the data directory: where a start that finds its database damaged looks)."""
    if not (data_dir / config_mod.DATABASE_NAME).exists():
        fail(f"{data_dir / config_mod.DATABASE_NAME}: no database to back up")
    if out is None:
        try:
            node_id = config_mod.load(data_dir).node.node_id
        except ConfigError as exc:
            fail(str(exc))
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = backup_root(data_dir) / f"{node_id}-{stamp}"
    try:
        report = backup(data_dir, out)
    except (BackupError, DatabaseError) as exc:
        fail(str(exc))
    click.echo(
        f"backup written to {report.out}: {report.events} events, "
        f"{report.files} files ({report.file_bytes} bytes), "
        f"database {report.database_bytes} bytes"
    )
