"""The ``motcua`` command line: help everywhere, init, imports, backup while serving, check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import apsw
import click
import httpx
import pytest
from click.testing import CliRunner

from cli import cli
from node.runtime import open_node
from storage.db import scalar
from tests.node.helpers import create_body
from tests.support.live_node import start_node


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


COMMANDS = all_commands(cli)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "motcua")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help, f"motcua {' '.join(path)} has no help text"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=120
    )


def test_init_creates_config_database_identity(tmp_path: Path) -> None:
    data = tmp_path / "n"
    result = run(
        "init", "--data-dir", str(data), "--agency-code", "000.00.01.H22", "--node-id", "phuong-1"
    )
    assert result.returncode == 0, result.stderr
    assert (data / "motcua.toml").exists() and (data / "motcua.sqlite3").exists()
    assert 'node_id = "phuong-1"' in (data / "motcua.toml").read_text()
    check = run("check", "--data-dir", str(data))
    assert check.returncode == 0, check.stderr
    assert "integrity: ok" in check.stdout and "node: phuong-1" in check.stdout
    again = run(
        "init", "--data-dir", str(data), "--agency-code", "000.00.01.H22", "--node-id", "phuong-1"
    )
    assert again.returncode == 2 and "already exists" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--agency-code", "000.00.01.h22", "--node-id", "n1"), "agency_code"),
        (("--agency-code", "A" * 36, "--node-id", "n1"), "agency_code"),
        (("--agency-code", "000.00.01.H22", "--node-id", "Xã 1"), "node_id"),
        (("--agency-code", "000.00.01.H22", "--node-id", "-n"), "node_id"),
    ],
)
def test_init_refuses_bad_identity_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    data = tmp_path / "n"
    result = run("init", "--data-dir", str(data), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not data.exists() or not any(data.iterdir())


def test_data_dir_defaults_to_the_environment(tmp_path: Path) -> None:
    env_dir = tmp_path / "from-env"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "init",
            "--agency-code",
            "000.00.01.H22",
            "--node-id",
            "e1",
        ],
        capture_output=True,
        text=True,
        env={"MOTCUA_DATA_DIR": str(env_dir), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (env_dir / "motcua.toml").exists()


def test_catalog_import_adds_and_updates_without_dropping(node_dir: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        """
[[procedure]]
code = "1.000894"
version = "2026.1"
name = "Đăng ký kết hôn"
field = "Hộ tịch"
time_limit = 3
time_unit = "working_days"
online_level = "full"
components = ["Tờ khai"]

[[procedure]]
code = "9.000001"
version = "1"
name = "Thủ tục mới"
field = "Khác"
time_limit = 2
time_unit = "working_hours"
online_level = "none"
components = []
""",
        encoding="utf-8",
    )
    result = run("catalog", "import", str(catalog), "--data-dir", str(node_dir))
    assert result.returncode == 0, result.stderr
    assert "2 added or updated" in result.stdout
    again = run("catalog", "import", str(catalog), "--data-dir", str(node_dir))
    assert "0 added or updated" in again.stdout  # re-importing the same file writes nothing
    conn = apsw.Connection(str(node_dir / "motcua.sqlite3"))
    current = dict(conn.execute("SELECT code, version FROM procedures WHERE current = 1"))
    assert current["1.000894"] == "2026.1" and current["9.000001"] == "1"
    assert "1.001193" in current  # a sample procedure not in the file is kept
    old = scalar(
        conn, "SELECT current FROM procedures WHERE code = '1.000894' AND version = '2025.1'"
    )
    assert old == 0  # the old version is kept, no longer current
    conn.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[procedure]]\ncode = 1\n", "code"),
        (
            '[[procedure]]\ncode = "1.1"\nversion = "1"\nname = "x"\nfield = "f"\n'
            'time_limit = 2\ntime_unit = "weeks"\nonline_level = "full"\ncomponents = []\n',
            "time_unit",
        ),
        (
            '[[procedure]]\ncode = "1.1"\nversion = "1"\nname = "x"\nfield = "f"\n'
            'time_limit = 0\ntime_unit = "working_hours"\nonline_level = "full"\ncomponents = []\n',
            "time_limit",
        ),
        ("not toml at all [", "not valid TOML"),
        (
            '[[procedure]]\ncode = "1.1"\nversion = "1"\nname = "x"\nfield = "f"\n'
            'time_limit = 1\ntime_unit = "working_days"\nonline_level = "full"\ncomponents = []\n'
            'colour = "red"\n',
            "colour",
        ),
    ],
)
def test_bad_catalog_names_the_problem_and_imports_nothing(
    node_dir: Path, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content, encoding="utf-8")
    conn = apsw.Connection(str(node_dir / "motcua.sqlite3"))
    before = scalar(conn, "SELECT COUNT(*) FROM events")
    result = run("catalog", "import", str(bad), "--data-dir", str(node_dir))
    assert result.returncode == 2
    assert message in result.stderr and str(bad) in result.stderr
    assert scalar(conn, "SELECT COUNT(*) FROM events") == before
    conn.close()


def test_calendar_import_changes_due_dates(node_dir: Path, tmp_path: Path) -> None:
    cal = tmp_path / "cal.toml"
    cal.write_text(
        '[[day]]\ndate = 2026-04-21\nkind = "holiday"\nname = "Nghỉ đột xuất"\n'
        '[[day]]\ndate = 2026-04-25\nkind = "workday"\nname = "Làm bù"\n',
        encoding="utf-8",
    )
    result = run("calendar", "import", str(cal), "--data-dir", str(node_dir))
    assert result.returncode == 0 and "2 added or updated" in result.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[[day]]\ndate = 2026-04-22\nkind = "workday"\nname = "x"\n', encoding="utf-8")
    refused = run("calendar", "import", str(bad), "--data-dir", str(node_dir))
    assert refused.returncode == 2 and "weekday" in refused.stderr
    node = start_node(node_dir)
    try:
        body = create_body(received_at="2026-04-20T09:00:00+07:00")
        dossier = httpx.post(f"{node.url}/api/v1/dossiers", json=body, headers=node.headers).json()
        # 5 working days from Mon 20 Apr: 22, 23, 24, Sat 25 (make-up), 28 (27 is a day off).
        assert dossier["due_at"] == "2026-04-28T17:00:00+07:00"
    finally:
        node.stop()


def test_backup_while_serving_is_consistent_and_usable(node_dir: Path, tmp_path: Path) -> None:
    node = start_node(node_dir)
    try:
        with node.http() as http:
            ids = [http.post("/api/v1/dossiers", json=create_body()).json()["id"] for _ in range(5)]
            http.post(
                f"/api/v1/dossiers/{ids[0]}/documents",
                files={"file": ("a.pdf", b"%PDF-1.4 backup me", "application/pdf")},
            )
            out = tmp_path / "backup-1"
            result = run("backup", str(out), "--data-dir", str(node_dir))
            assert result.returncode == 0, result.stderr
            assert "1 files" in result.stdout
            http.post("/api/v1/dossiers", json=create_body())  # still serving
            again = run("backup", str(out), "--data-dir", str(node_dir))
            assert again.returncode == 3 and "already exists" in again.stderr
    finally:
        node.stop()
    check = run("check", "--data-dir", str(out))
    assert check.returncode == 0, check.stderr + check.stdout
    assert "dossiers in status 2: 5" in check.stdout
    restored = start_node(out)
    try:
        got = httpx.get(f"{restored.url}/api/v1/dossiers/{ids[0]}", headers=restored.headers).json()
        assert got["documents"][0]["size"] == len(b"%PDF-1.4 backup me")
    finally:
        restored.stop()


def test_check_reports_a_missing_document_file(node_dir: Path) -> None:
    node = start_node(node_dir)
    try:
        d = httpx.post(
            f"{node.url}/api/v1/dossiers", json=create_body(), headers=node.headers
        ).json()
        doc = httpx.post(
            f"{node.url}/api/v1/dossiers/{d['id']}/documents",
            files={"file": ("a.pdf", b"%PDF-1.4 gone", "application/pdf")},
            headers=node.headers,
        ).json()
    finally:
        node.stop()
    sha = doc["documents"][0]["sha256"]
    (node_dir / "blobs" / sha[:2] / sha[2:]).unlink()
    result = run("check", "--data-dir", str(node_dir))
    assert result.returncode == 3
    assert f"document file {sha} is missing" in result.stderr


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_check_notes_stored_files_no_document_names(node_dir: Path) -> None:
    # What a crash between storing a split scan's parts and the commit leaves behind.
    rt = open_node(node_dir)
    try:
        kept = rt.blobs.put_file(write(node_dir / "kept.pdf", b"%PDF-1.4 kept"))
        stray = rt.blobs.put_file(write(node_dir / "stray.pdf", b"%PDF-1.4 stray part"))
    finally:
        rt.close()
    node = start_node(node_dir)
    try:
        d = httpx.post(
            f"{node.url}/api/v1/dossiers", json=create_body(), headers=node.headers
        ).json()
        httpx.post(
            f"{node.url}/api/v1/dossiers/{d['id']}/documents",
            files={"file": ("a.pdf", b"%PDF-1.4 kept", "application/pdf")},
            headers=node.headers,
        ).raise_for_status()
    finally:
        node.stop()
    result = run("check", "--data-dir", str(node_dir))
    assert result.returncode == 0, result.stderr  # worth a note, not an alarm
    assert f"note: 1 stored files ({stray.size} bytes) are named by no document" in result.stdout
    assert f"unreferenced: {node_dir / 'blobs' / stray.sha256[:2] / stray.sha256[2:]}" in (
        result.stdout
    )
    assert kept.sha256 not in result.stdout
