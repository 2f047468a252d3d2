"""``motcua install --root DIR``: everything a fresh machine gets, written under a temporary
root, with the system commands printed instead of run; idempotent; ``--dry-run`` writes
nothing; bad input and a different node already there change nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from settings import node as config_mod
from sync import pki

NODE = "xa-an-binh"
AGENCY = "000.00.15.H42"
BROKER = "mqtts://motcua.tinh.example:8883"


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> pki.Issued:
    """The province CA's files for the node, as the technician brings them."""
    root = tmp_path_factory.mktemp("province-pki")
    pki.init(root)
    return pki.issue_node(root, NODE)


def install(root: Path, province: pki.Issued, *extra: str, node: str = NODE) -> Result:
    args = [
        "install",
        "--node-id",
        node,
        "--agency-code",
        AGENCY,
        "--broker",
        BROKER,
        "--ca-file",
        str(province.cert.parents[1] / "ca.crt"),
        "--cert-file",
        str(province.cert),
        "--key-file",
        str(province.key),
        "--drop-folder",
        "may-quet-1",
        "--root",
        str(root),
        *extra,
    ]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_install_writes_user_folders_config_certificates_units(
    tmp_path: Path, province: pki.Issued
) -> None:
    root = tmp_path / "machine"
    result = install(root, province)
    assert result.exit_code == 0, result.output
    sysusers = (root / "etc/sysusers.d/motcua.conf").read_text()
    assert 'u motcua - "motcua-edge commune node" /var/lib/motcua' in sysusers
    tmpfiles = (root / "etc/tmpfiles.d/motcua.conf").read_text()
    for line in (
        "d /var/lib/motcua 0750 motcua motcua -",
        "d /var/backups/motcua 0750 motcua motcua -",
        "d /srv/motcua/may-quet-1 0770 motcua motcua -",
    ):
        assert line in tmpfiles
    cfg = config_mod.load(root / "var/lib/motcua")
    assert (cfg.node.node_id, cfg.node.agency_code, cfg.sync.broker) == (NODE, AGENCY, BROKER)
    assert cfg.sync.ca_file == "/var/lib/motcua/tls/ca.crt"
    assert cfg.sync.key_file == "/var/lib/motcua/tls/node.key"
    assert [(f.name, f.path) for f in cfg.ingest.folder] == [
        ("may-quet-1", "/srv/motcua/may-quet-1")
    ]
    key = root / "var/lib/motcua/tls/node.key"
    assert key.read_bytes() == province.key.read_bytes()
    assert key.stat().st_mode & 0o777 == 0o600
    node_unit = (root / "etc/systemd/system/motcua-node.service").read_text()
    assert f"ExecStart={Path(sys.prefix) / 'bin/motcua'} serve" in node_unit
    assert "/opt/motcua/.venv" not in node_unit
    commands = [ln for ln in result.output.splitlines() if ln.startswith("would run: ")]
    assert commands == [
        "would run: systemd-sysusers /etc/sysusers.d/motcua.conf",
        "would run: systemd-tmpfiles --create /etc/tmpfiles.d/motcua.conf",
        "would run: chown -R motcua:motcua /var/lib/motcua",
        "would run: systemctl daemon-reload",
        "would run: systemctl enable --now motcua-node.service motcua-backup.timer",
    ]


def test_a_second_run_changes_nothing_and_says_so(tmp_path: Path, province: pki.Issued) -> None:
    root = tmp_path / "machine"
    assert install(root, province).exit_code == 0
    before = snapshot(root)
    again = install(root, province)
    assert again.exit_code == 0, again.output
    assert "nothing changed: this node is installed as asked" in again.output
    assert "would run" not in again.output and "wrote" not in again.output
    assert snapshot(root) == before


def test_dry_run_prints_every_step_and_writes_nothing(tmp_path: Path, province: pki.Issued) -> None:
    root = tmp_path / "machine"
    root.mkdir()
    result = install(root, province, "--dry-run")
    assert result.exit_code == 0, result.output
    assert list(root.iterdir()) == []
    for step in (
        "would write /etc/sysusers.d/motcua.conf",
        "would write /etc/tmpfiles.d/motcua.conf",
        f"would initialise node {NODE} in /var/lib/motcua",
        "would write /var/lib/motcua/tls/node.key",
        "would write /etc/systemd/system/motcua-node.service",
        "would write /etc/systemd/system/motcua-backup.timer",
        "would run: systemctl enable --now motcua-node.service motcua-backup.timer",
    ):
        assert step in result.output
    assert "dry run:" in result.output


def test_an_upgraded_unit_is_rewritten_reloaded_and_the_node_restarted(
    tmp_path: Path, province: pki.Issued
) -> None:
    root = tmp_path / "machine"
    assert install(root, province).exit_code == 0
    unit = root / "etc/systemd/system/motcua-node.service"
    unit.write_text(unit.read_text().replace("WatchdogSec=180", "WatchdogSec=60"))
    result = install(root, province)
    assert result.exit_code == 0, result.output
    assert "wrote /etc/systemd/system/motcua-node.service" in result.output
    assert "would run: systemctl daemon-reload" in result.output
    assert "would run: systemctl try-restart motcua-node.service" in result.output
    assert "WatchdogSec=180" in unit.read_text()


def test_another_node_already_installed_is_refused_and_nothing_changes(
    tmp_path: Path, province: pki.Issued
) -> None:
    root = tmp_path / "machine"
    assert install(root, province).exit_code == 0
    before = snapshot(root)
    result = install(root, province, node="xa-khac")
    assert result.exit_code == 2
    assert "already holds node 'xa-an-binh' and differs in node_id" in result.output
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--drop-folder", "Máy quét/1"], "a drop folder name is 1-63 characters"),
        (["--node-id", "Bad Node"], "node.node_id 'Bad Node' must be 1-63 characters"),
    ],
)
def test_bad_arguments_are_refused_and_write_nothing(
    tmp_path: Path, province: pki.Issued, args: list[str], message: str
) -> None:
    root = tmp_path / "machine"
    root.mkdir()
    result = install(root, province, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert list(root.iterdir()) == []


def test_tls_files_go_together(tmp_path: Path, province: pki.Issued) -> None:
    root = tmp_path / "machine"
    root.mkdir()
    result = CliRunner().invoke(
        cli,
        [
            *("install", "--node-id", NODE, "--agency-code", AGENCY, "--broker", BROKER),
            *("--ca-file", str(province.cert), "--root", str(root)),
        ],
    )
    assert result.exit_code == 2
    assert "--ca-file, --cert-file and --key-file go together" in result.output
    assert list(root.iterdir()) == []


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_the_installed_units_pass_systemd_analyze_verify(
    tmp_path: Path, province: pki.Issued
) -> None:
    root = tmp_path / "machine"
    assert install(root, province).exit_code == 0
    units = sorted((root / "etc/systemd/system").iterdir())
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
