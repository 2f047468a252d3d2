"""The README documents every CLI command and every config key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import cli
from settings.node import Config
from tests.cli.test_node_cmds import COMMANDS
from tests.support.doc_keys import struct_keys

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [p for p in COMMANDS if p], ids=" ".join)
def test_every_command_is_in_the_readme(path: tuple[str, ...]) -> None:
    assert f"motcua {' '.join(path)}" in README


@pytest.mark.parametrize("key", struct_keys(Config))
def test_every_config_key_is_in_the_readme(key: str) -> None:
    assert f"`{key}`" in README


def test_cli_group_is_the_documented_one() -> None:
    assert cli.name in ("cli", "motcua")
