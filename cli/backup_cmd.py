"""``motcua backup``: an online, consistent copy while the server runs; with ``--to DIR``
a dated backup in DIR and, with ``--keep N``, only the newest N kept (the nightly timer)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import data_dir_option, fail
from cli.unusable_database import backup_root
from node.backup import BackupError, backup
from node.backup_retention import dated_name, prune
from rules.clock import utc_now
from settings import node as config_mod
from storage.db import DatabaseError


@click.command("backup")
@data_dir_option
@click.argument("out", type=click.Path(path_type=Path), required=False)
@click.option(
    "--to",
    "to_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write a dated backup (motcua-YYYYMMDD-HHMMSS, UTC) into this folder instead of OUT.",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=None,
    help="With --to: then remove all but the newest N complete backups in that folder.",
)
def backup_cmd(data_dir: Path, out: Path | None, to_dir: Path | None, keep: int | None) -> None:
    """Copy the database, config and document files into the new folder OUT, or a dated
    folder inside --to DIR (default: $MOTCUA_BACKUP_DIR, else backups/ beside the data
    directory: where a start that finds its database damaged looks for the last good one)."""
    if out is not None and to_dir is not None:
        raise click.UsageError("give either OUT or --to DIR (not both)")
    if out is None and to_dir is None:
        to_dir = backup_root(data_dir)
    if keep is not None and to_dir is None:
        raise click.UsageError("--keep works with --to DIR only")
    if not (data_dir / config_mod.DATABASE_NAME).exists():
        fail(f"{data_dir / config_mod.DATABASE_NAME}: no database to back up")
    if to_dir is not None:
        to_dir.mkdir(parents=True, exist_ok=True)
        out = to_dir / dated_name(utc_now())
    assert out is not None
    try:
        report = backup(data_dir, out)
    except (BackupError, DatabaseError) as exc:
        fail(str(exc))
    click.echo(
        f"backup written to {report.out}: {report.events} events, "
        f"{report.files} files ({report.file_bytes} bytes), "
        f"database {report.database_bytes} bytes"
    )
    if to_dir is not None and keep is not None:
        for old in prune(to_dir, keep):
            click.echo(f"removed old backup {old} (keeping the newest {keep})")
