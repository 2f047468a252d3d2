"""Nightly backups (``motcua backup --to DIR --keep N``) and a restore as docs/operations.md
tells it: back up, damage the database, restore the backup, the node starts with its data."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.unusable_database import BACKUP_DIR_ENV
from node.backup import backup
from node.backup_retention import complete_backups, dated_name, prune
from tests.node.helpers import create_body
from tests.support.live_node import start_node


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=120
    )


def at(day: int) -> str:
    return dated_name(dt.datetime(2026, 11, day, 21, 30, tzinfo=dt.UTC))


def test_prune_keeps_the_newest_complete_backups_and_nothing_else(
    node_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    for day in (1, 2, 3):
        backup(node_dir, folder / at(day))
    (folder / "motcua-20261104-213000.partial").mkdir()  # an interrupted one: not counted
    (folder / at(5)).mkdir()  # named like one, but no database: not counted, not removed
    (folder / "copied-by-hand").mkdir()
    removed = prune(folder, keep=2)
    assert [p.name for p in removed] == [at(1)]
    assert [p.name for p in complete_backups(folder)] == [at(2), at(3)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [at(2), at(3), at(5), "motcua-20261104-213000.partial", "copied-by-hand"]
    )
    with pytest.raises(ValueError, match="at least 1"):
        prune(folder, keep=0)


def test_backup_to_a_folder_keeps_n(node_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    backup(node_dir, folder / at(1))
    result = run("backup", "--data-dir", str(node_dir), "--to", str(folder), "--keep", "1")
    assert result.returncode == 0, result.stderr
    assert f"removed old backup {folder / at(1)}" in result.stdout
    [kept] = complete_backups(folder)
    assert kept.name > at(1) and f"backup written to {kept}" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["OUT", "--to", "DIR"], "either OUT or --to DIR"),
        (["OUT", "--keep", "3"], "--keep works with --to DIR only"),
        (["--to", "DIR", "--keep", "0"], "0 is not in the range x>=1"),
    ],
)
def test_bad_backup_arguments_are_refused_and_write_nothing(
    node_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    paths = {"OUT": str(tmp_path / "out"), "DIR": str(tmp_path / "dir")}
    result = run("backup", "--data-dir", str(node_dir), *[paths.get(a, a) for a in args])
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "dir").exists()


def test_a_backup_without_a_destination_goes_where_a_damaged_start_looks(
    node_dir: Path, tmp_path: Path
) -> None:
    shelf = tmp_path / "shelf"
    result = subprocess.run(
        [sys.executable, "-m", "cli", "backup", "--data-dir", str(node_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, BACKUP_DIR_ENV: str(shelf)},
    )
    assert result.returncode == 0, result.stderr
    [made] = complete_backups(shelf)
    assert f"backup written to {made}" in result.stdout
    assert (made / "motcua.sqlite3").is_file()


def test_restore_after_the_database_is_damaged(node_dir: Path, tmp_path: Path) -> None:
    node = start_node(node_dir)
    try:
        with node.http() as http:
            ids = [http.post("/api/v1/dossiers", json=create_body()).json()["id"] for _ in range(3)]
            http.post(
                f"/api/v1/dossiers/{ids[0]}/documents",
                files={"file": ("a.pdf", b"%PDF-1.4 keep me", "application/pdf")},
            )
        backups = tmp_path / "backups"
        made = run("backup", "--data-dir", str(node_dir), "--to", str(backups), "--keep", "14")
        assert made.returncode == 0, made.stderr
    finally:
        node.stop()
    [latest] = complete_backups(backups)

    # The damage: pages past the header overwritten, as a failing disk would.
    database = node_dir / "motcua.sqlite3"
    with database.open("r+b") as f:
        f.seek(4096)
        f.write(b"\xde\xad" * 8192)
    assert run("check", "--data-dir", str(node_dir)).returncode == 3

    # The restore (docs/operations.md): the damaged folder aside, the backup in its place.
    node_dir.rename(tmp_path / "node.damaged")
    shutil.copytree(latest, node_dir)
    check = run("check", "--data-dir", str(node_dir))
    assert check.returncode == 0, check.stderr + check.stdout
    restored = start_node(node_dir)
    try:
        with restored.http() as http:
            got = [http.get(f"/api/v1/dossiers/{i}").json() for i in ids]
        assert [g["id"] for g in got] == ids
        assert got[0]["documents"][0]["size"] == len(b"%PDF-1.4 keep me")
    finally:
        restored.stop()
