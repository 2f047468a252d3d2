"""A damaged or missing database at start: one clear message naming the last good backup and
how to restore it, and the exit code the units keep from restarting (no crash loop).

Real processes (``motcua serve``, ``motcua sync``, ``motcua central serve``) on real files:
truncated, overwritten with garbage, missing. A missing ``-wal``/``-shm`` is not damage.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.common import EXIT_DATABASE_UNUSABLE
from cli.unusable_database import BACKUP_DIR_ENV
from node.runtime import open_node
from storage import db as db_mod
from tests.support.live_node import start_node
from tests.support.replication import REQUEST, add_dossiers

NODE_DB = "motcua.sqlite3"
CITY_DB = "central.sqlite3"


def run(*args: str, backups: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, BACKUP_DIR_ENV: str(backups)},
    )


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00\x17 not a database, a scanner's log \xff" * 300)


def remove(path: Path) -> None:
    path.unlink()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": truncate,
    "garbage": garbage,
    "missing": remove,
}


def _with_data(node_dir: Path) -> None:
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 40, threads=2)
    finally:
        rt.close()
    for suffix in ("-wal", "-shm"):
        assert not (node_dir / f"{NODE_DB}{suffix}").exists()  # closed cleanly: all in the file


def _damage(db: Path, how: str) -> None:
    DAMAGE[how](db)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("how", sorted(DAMAGE))
@pytest.mark.parametrize("command", ["serve", "sync"])
def test_a_damaged_node_database_names_the_last_good_backup_and_stops_for_good(
    node_dir: Path, tmp_path: Path, how: str, command: str
) -> None:
    backups = tmp_path / "backups"
    _with_data(node_dir)
    made = run("backup", "--data-dir", str(node_dir), backups=backups)
    assert made.returncode == 0, made.stderr
    (good,) = backups.iterdir()
    assert good.name.startswith("motcua-") and (good / NODE_DB).is_file()
    # A newer backup that is itself damaged is not the one to restore.
    newer = backups / "xa-test-29991231T235959Z"
    newer.mkdir()
    garbage(newer / NODE_DB)
    _damage(node_dir / NODE_DB, how)
    before = sorted(p.name for p in node_dir.iterdir())

    args = ["serve", "--port", "1"] if command == "serve" else ["sync"]
    result = run(*args, "--data-dir", str(node_dir), backups=backups)

    assert result.returncode == EXIT_DATABASE_UNUSABLE, result.stderr
    assert "Traceback" not in result.stderr
    assert str(node_dir / NODE_DB) in result.stderr  # which file
    assert f"last good backup: {good} " in result.stderr  # which backup, not the damaged one
    assert str(newer) not in result.stderr
    assert f"cp {good / NODE_DB} {node_dir / NODE_DB}" in result.stderr  # how to restore
    assert "motcua reconcile" in result.stderr
    # Nothing was created or written in the data directory by the refused start.
    assert sorted(p.name for p in node_dir.iterdir()) == before


def test_the_restore_the_message_gives_works(node_dir: Path, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    _with_data(node_dir)
    assert run("backup", "--data-dir", str(node_dir), backups=backups).returncode == 0
    truncate(node_dir / NODE_DB)
    result = run("sync", "--data-dir", str(node_dir), backups=backups)
    assert result.returncode == EXIT_DATABASE_UNUSABLE
    steps = [ln.strip() for ln in result.stderr.splitlines() if ln.startswith("  ")]
    assert [s.split()[0] for s in steps] == ["mv", "cp"], result.stderr
    for step in steps:
        command = step.split("  (")[0].split()
        assert subprocess.run(command, check=False).returncode == 0, step
    rt = open_node(node_dir)
    try:
        dossiers = db_mod.scalar(rt.db.read(), "SELECT COUNT(*) FROM dossiers")
        assert dossiers == 40
    finally:
        rt.close()
    assert (node_dir / f"{NODE_DB}.damaged").is_file()


def test_no_backup_at_all_is_said_plainly(node_dir: Path, tmp_path: Path) -> None:
    backups = tmp_path / "nowhere"
    garbage(node_dir / NODE_DB)
    result = run("serve", "--port", "1", "--data-dir", str(node_dir), backups=backups)
    assert result.returncode == EXIT_DATABASE_UNUSABLE, result.stderr
    assert f"no good backup was found under {backups}" in result.stderr
    assert BACKUP_DIR_ENV in result.stderr and "Traceback" not in result.stderr


def test_a_backup_of_another_node_is_never_offered(node_dir: Path, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    other = tmp_path / "other"
    from cli.init_cmd import initialise

    initialise(other, "000.00.15.H42", "xa-khac", sample_catalog=True)
    assert run("backup", "--data-dir", str(other), backups=backups).returncode == 0
    remove(node_dir / NODE_DB)
    result = run("serve", "--port", "1", "--data-dir", str(node_dir), backups=backups)
    assert result.returncode == EXIT_DATABASE_UNUSABLE, result.stderr
    assert "no good backup was found" in result.stderr and "xa-khac" not in result.stderr


def test_a_missing_wal_and_shm_are_not_damage(node_dir: Path, tmp_path: Path) -> None:
    node = start_node(node_dir)
    try:
        with node.http() as client:
            body = {
                "procedure_code": REQUEST.procedure_code,
                "channel": "in_person",
                "applicant": {"full_name": "Lê Văn Cường"},
            }
            assert client.post("/api/v1/dossiers", json=body).status_code == 201
    finally:
        node.kill()  # the WAL and its index stay behind, as after a power cut
    for suffix in ("-wal", "-shm"):
        Path(f"{node_dir / NODE_DB}{suffix}").unlink(missing_ok=True)
    node = start_node(node_dir)
    try:
        with node.http() as client:
            assert client.get("/api/v1/dossiers").status_code == 200
    finally:
        node.stop()
    conn = db_mod.connect(node_dir / NODE_DB, readonly=True)
    try:
        db_mod.quick_check(conn, node_dir / NODE_DB)
    finally:
        conn.close()


def _city(tmp_path: Path) -> Path:
    city = tmp_path / "city"
    made = run(
        "central",
        "init",
        "--data-dir",
        str(city),
        "--broker",
        "mqtt://127.0.0.1:1",
        backups=tmp_path / "backups",
    )
    assert made.returncode == 0, made.stderr
    return city


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_city_database_stops_the_city_for_good(tmp_path: Path, how: str) -> None:
    city = _city(tmp_path)
    backups = tmp_path / "backups"
    good = backups / "city-20261120T220000Z"
    good.mkdir(parents=True)
    (good / CITY_DB).write_bytes((city / CITY_DB).read_bytes())
    _damage(city / CITY_DB, how)
    result = run("central", "serve", "--data-dir", str(city), "--port", "1", backups=backups)
    assert result.returncode == EXIT_DATABASE_UNUSABLE, result.stderr
    assert str(city / CITY_DB) in result.stderr and "Traceback" not in result.stderr
    assert f"last good backup: {good} " in result.stderr
    # A missing store is not made again empty: the city would start over from nothing.
    assert (city / CITY_DB).exists() == (how != "missing")
