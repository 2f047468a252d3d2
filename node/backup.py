"""An online, consistent copy of a node: database snapshot, config, and the files it names.

The database is copied with SQLite's backup API while the server keeps writing; the blob
files it references are immutable, so copying them after the snapshot is consistent.
Everything goes to ``OUT.partial`` first and is renamed to ``OUT`` only when complete.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import apsw
import msgspec

from node.runtime import BLOBS_DIR
from settings import node as config_mod
from storage import db as db_mod
from storage.blob_store import fsync_dir


class BackupError(Exception):
    pass


class BackupReport(msgspec.Struct, frozen=True):
    out: str
    database_bytes: int
    events: int
    files: int
    file_bytes: int


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def backup(data_dir: Path, out: Path) -> BackupReport:
    if out.exists():
        raise BackupError(f"{out}: already exists; choose a new folder for the backup")
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)  # left by an interrupted backup
    partial.mkdir(parents=True)
    src_path = data_dir / config_mod.DATABASE_NAME
    dst_path = partial / config_mod.DATABASE_NAME
    source = db_mod.connect(src_path, readonly=True)
    dest = apsw.Connection(str(dst_path))
    try:
        with dest.backup("main", source, "main") as step:
            while not step.done:
                step.step(1024)  # pages per step: other writers proceed between steps
        dest.execute("PRAGMA journal_mode = DELETE")
        db_mod.quick_check(dest, dst_path)
        events = int(db_mod.scalar(dest, "SELECT COUNT(*) FROM events"))
        shas = [str(r[0]) for r in dest.execute("SELECT sha256 FROM blobs")]
    finally:
        dest.close()
        source.close()
    _fsync_file(dst_path)
    shutil.copy2(data_dir / config_mod.CONFIG_NAME, partial / config_mod.CONFIG_NAME)
    _fsync_file(partial / config_mod.CONFIG_NAME)
    file_bytes = 0
    for sha in shas:
        rel = Path(BLOBS_DIR) / sha[:2] / sha[2:]
        target = partial / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(data_dir / rel, target)
        except FileNotFoundError:
            raise BackupError(
                f"{data_dir / rel}: a recorded document file is missing; run 'motcua check'"
            ) from None
        _fsync_file(target)
        file_bytes += target.stat().st_size
    folders = {partial / BLOBS_DIR / sha[:2] for sha in shas} | {partial / BLOBS_DIR, partial}
    for folder in folders:
        if folder.exists():
            fsync_dir(folder)
    database_bytes = dst_path.stat().st_size
    os.replace(partial, out)
    fsync_dir(out.parent)
    return BackupReport(str(out), database_bytes, events, len(shas), file_bytes)
