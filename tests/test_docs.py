"""The README documents every CLI command and every config key; the fault matrix in
docs/replication.md covers every kind of fault and names only tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli import cli
from settings.node import Config
from tests.cli.test_node_cmds import COMMANDS
from tests.support.doc_keys import struct_keys

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REPLICATION = (ROOT / "docs" / "replication.md").read_text(encoding="utf-8")
#: The faults issue 9 asks the matrix to cover, as the matrix's first column names them.
FAULT_KINDS = (
    "kill", "clean stop", "cut", "stall", "clock step", "city restore", "broker restart",
    "slow link", "oversize input", "bad local file",
)  # fmt: skip


@pytest.mark.parametrize("path", [p for p in COMMANDS if p], ids=" ".join)
def test_every_command_is_in_the_readme(path: tuple[str, ...]) -> None:
    assert f"motcua {' '.join(path)}" in README


@pytest.mark.parametrize("key", struct_keys(Config))
def test_every_config_key_is_in_the_readme(key: str) -> None:
    assert f"`{key}`" in README


def test_cli_group_is_the_documented_one() -> None:
    assert cli.name in ("cli", "motcua")


def _matrix_rows() -> list[str]:
    section = REPLICATION.split("## Fault matrix", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| **")]


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_the_fault_matrix_covers_every_kind_of_fault(kind: str) -> None:
    assert any(row.startswith(f"| **{kind}**:") for row in _matrix_rows()), kind


def test_every_test_the_fault_matrix_names_exists() -> None:
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", "\n".join(_matrix_rows()))
    assert len(named) > 20
    for path, name in named:
        source = ROOT / path
        assert source.is_file(), f"{path} named in docs/replication.md does not exist"
        if name:
            assert f"def {name}(" in source.read_text(encoding="utf-8"), f"{path}::{name}"
