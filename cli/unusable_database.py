"""A process that cannot use its database at start says so once and stops for good.

A damaged or missing database is not a crash a restart cures: the message names the file,
what is wrong with it, the last good backup (the newest one under the backup folder whose
copy passes ``PRAGMA quick_check`` and belongs to this site) and the commands that restore
it; the exit code is ``cli.common.EXIT_DATABASE_UNUSABLE``, which the systemd units list in
``RestartPreventExitStatus=`` so the journal gets one message, not one every few seconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import apsw

from storage import db as db_mod

# Where ``motcua backup`` writes when no folder is given, and where a start looks.
BACKUP_DIR_ENV = "MOTCUA_BACKUP_DIR"
BACKUP_DIR_NAME = "backups"
MAX_BACKUPS_CHECKED = 20  # newest first: an old backup further back is no use anyway


def backup_root(data_dir: Path) -> Path:
    """``$MOTCUA_BACKUP_DIR``, else ``backups/`` beside the data directory (not inside it:
    a backup must survive the data directory being lost or replaced)."""
    given = os.environ.get(BACKUP_DIR_ENV)
    return Path(given) if given else data_dir.absolute().parent / BACKUP_DIR_NAME


@dataclass(frozen=True)
class GoodBackup:
    folder: Path
    taken_at: str  # the backup database's modification time, UTC
    events: int


def last_good_backup(
    root: Path, database_name: str, belongs: Callable[[apsw.Connection], bool]
) -> GoodBackup | None:
    """The newest backup folder under ``root`` whose database is whole and ``belongs``."""
    if not root.is_dir():
        return None
    candidates = sorted(
        (p / database_name for p in root.iterdir() if not p.name.endswith(".partial")),
        key=lambda db: db.stat().st_mtime if db.is_file() else -1.0,
        reverse=True,
    )
    for database in candidates[:MAX_BACKUPS_CHECKED]:
        if not database.is_file():
            continue
        good = _good(database, belongs)
        if good is not None:
            return good
    return None


def _good(database: Path, belongs: Callable[[apsw.Connection], bool]) -> GoodBackup | None:
    try:
        conn = db_mod.connect(database, readonly=True)
    except (db_mod.DatabaseError, apsw.Error):
        return None
    try:
        db_mod.quick_check(conn, database)
        if not belongs(conn):
            return None
        events = int(db_mod.scalar(conn, "SELECT COUNT(*) FROM events"))
    except (db_mod.DatabaseError, apsw.Error):
        return None
    finally:
        conn.close()
    taken = datetime.fromtimestamp(database.stat().st_mtime, UTC)
    return GoodBackup(database.parent, taken.strftime("%Y-%m-%d %H:%M UTC"), events)


def database_problem(path: Path) -> str | None:
    """What makes the database at ``path`` unusable (missing, damaged), or None."""
    if not path.is_file():
        return f"{path}: the database file is missing"
    try:
        conn = db_mod.connect(path, readonly=True)
    except db_mod.DatabaseError as exc:
        return str(exc)
    except apsw.Error as exc:
        return f"{path}: the database cannot be opened ({exc})"
    try:
        db_mod.quick_check(conn, path)
    except db_mod.DatabaseError as exc:
        return str(exc)
    except apsw.Error as exc:
        return f"{path}: the database cannot be read ({exc})"
    finally:
        conn.close()
    return None


def node_owned_by(node_id: str) -> Callable[[apsw.Connection], bool]:
    def belongs(conn: apsw.Connection) -> bool:
        sql = "SELECT value FROM node_identity WHERE key = 'node_id'"
        return bool(db_mod.scalar(conn, sql) == node_id)

    return belongs


def any_site(_conn: apsw.Connection) -> bool:
    return True


def unusable_message(
    problem: str,
    data_dir: Path,
    database_name: str,
    belongs: Callable[[apsw.Connection], bool],
    *,
    after_restore: str = "",
) -> str:
    """What is wrong, the last good backup and how to restore it (for ``fail``)."""
    root = backup_root(data_dir)
    found = last_good_backup(root, database_name, belongs)
    database = data_dir / database_name
    if found is None:
        lines = [
            f"no good backup was found under {root} (set {BACKUP_DIR_ENV} if they are "
            "elsewhere); do not start this site again before someone has looked at the file."
        ]
    else:
        lines = [
            f"last good backup: {found.folder} (taken {found.taken_at}, {found.events} events).",
            "To restore it, with the services stopped:",
            f"  mv {database} {database}.damaged  (and its -wal and -shm files, if any)",
            f"  cp {found.folder / database_name} {database}",
        ]
        if (found.folder / "blobs").is_dir():  # the document files the backup names
            lines.append(f"  cp -rn {found.folder / 'blobs'}/. {data_dir / 'blobs'}/")
        if after_restore:
            lines.append(after_restore)
    return "\n".join([problem, *lines])
