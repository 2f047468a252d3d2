"""Dated backups in one folder, and keeping only the newest N of them (the nightly timer).

Only folders this module named (``motcua-YYYYMMDD-HHMMSS``) and that hold a complete backup
(its database is there: ``backup`` renames ``.partial`` to the name only when done) are
counted or removed; anything else an operator put in the folder is left alone. Old backups
are removed only after the new one is complete, so a failed night never shrinks the set.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Final

from settings import node as config_mod

PREFIX: Final = "motcua-"
_NAME: Final = re.compile(r"\Amotcua-\d{8}-\d{6}\Z")


def dated_name(now: dt.datetime) -> str:
    """``motcua-YYYYMMDD-HHMMSS`` in UTC: names sort in time order."""
    return PREFIX + now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")


def complete_backups(folder: Path) -> list[Path]:
    """The dated, complete backups in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    found = [
        p
        for p in folder.iterdir()
        if _NAME.match(p.name)
        and p.is_dir()
        and not p.is_symlink()
        and (p / config_mod.DATABASE_NAME).is_file()
    ]
    return sorted(found, key=lambda p: p.name)


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` complete backups; returns what was removed."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    backups = complete_backups(folder)
    removed = backups[: max(0, len(backups) - keep)]
    for old in removed:
        shutil.rmtree(old)
    return removed
