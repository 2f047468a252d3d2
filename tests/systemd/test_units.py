"""The unit files in ``systemd/``: ``systemd-analyze verify`` accepts each, and each service's
exposure (``systemd-analyze security --offline=true``) is 2.0 or below, with a comment in
the unit for every setting it leaves open.

``verify`` insists that ExecStart's binary exists, and ``--root`` wants a whole systemd
tree, so each unit is checked as a copy whose ``/opt/motcua/.venv/bin/motcua`` points at
an executable this test creates; nothing else in the copy differs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cli.common import EXIT_DATABASE_UNUSABLE, EXIT_NEEDS_OPERATOR

UNITS_DIR = Path(__file__).resolve().parents[2] / "systemd"
BINARY = "/opt/motcua/.venv/bin/motcua"
UNITS = sorted(p.name for p in UNITS_DIR.iterdir() if p.suffix in {".service", ".timer"})
SERVICES = [u for u in UNITS if u.endswith(".service")]
ANALYZE = shutil.which("systemd-analyze")
MAX_EXPOSURE = 2.0

pytestmark = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (Debian: apt-get install systemd)"
)


def checkable_copy(unit: str, tmp_path: Path) -> Path:
    binary = tmp_path / "opt/motcua/.venv/bin/motcua"
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    text = (UNITS_DIR / unit).read_text()
    copy = tmp_path / unit
    copy.write_text(text.replace(BINARY, str(binary)))
    return copy


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run(
        [ANALYZE, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_every_expected_unit_is_there() -> None:
    assert UNITS == [
        "motcua-backup.service",
        "motcua-backup.timer",
        "motcua-central.service",
        "motcua-node.service",
    ]
    for unit in UNITS:
        if unit.endswith(".service"):
            assert BINARY in (UNITS_DIR / unit).read_text(), unit


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_analyze_verify_accepts_the_unit(unit: str, tmp_path: Path) -> None:
    copy = checkable_copy(unit, tmp_path)
    if unit.endswith(".timer"):  # a timer is verified beside the service it starts
        checkable_copy(unit.replace(".timer", ".service"), tmp_path)
    result = analyze("verify", "--man=no", str(copy))
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.parametrize("unit", SERVICES)
def test_exposure_is_at_most_2_and_every_open_setting_says_why(unit: str, tmp_path: Path) -> None:
    copy = checkable_copy(unit, tmp_path)
    result = analyze("security", "--offline=true", str(copy))
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    overall = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", output)
    assert overall is not None, output
    assert float(overall.group(1)) <= MAX_EXPOSURE, output
    comments = "\n".join(
        line for line in (UNITS_DIR / unit).read_text().splitlines() if line.startswith("#")
    )
    open_settings = {m.group(1) for m in re.finditer(r"^✗ (\w+)=", output, re.MULTILINE)}
    assert open_settings, "expected the report to list the settings left open"
    unexplained = sorted(s for s in open_settings if f"{s}=" not in comments)
    assert not unexplained, f"{unit}: no comment says why these stay open: {unexplained}"


def test_the_node_and_city_services_are_notify_with_a_watchdog() -> None:
    for unit in ("motcua-node.service", "motcua-central.service"):
        text = (UNITS_DIR / unit).read_text()
        assert re.search(r"^Type=notify$", text, re.MULTILINE), unit
        assert re.search(r"^WatchdogSec=\d+", text, re.MULTILINE), unit
        stop_for = f"{EXIT_NEEDS_OPERATOR} {EXIT_DATABASE_UNUSABLE}"  # cli/common.py
        assert re.search(rf"^RestartPreventExitStatus={stop_for}$", text, re.MULTILINE), unit


def test_operations_doc_covers_every_unit_and_its_sections() -> None:
    doc = (UNITS_DIR.parent / "docs" / "operations.md").read_text()
    for unit in UNITS:
        assert f"`{unit}`" in doc, unit
    for heading in (
        "## Install a commune node",
        "## Upgrade (with schema migrations)",
        "## Backup and restore",
        "## Certificates: renewal and revocation",
        "## Moving a node to new hardware",
        "## Reconciling a node restored from an old backup",
        "## Metrics and health",
    ):
        assert heading in doc, heading
