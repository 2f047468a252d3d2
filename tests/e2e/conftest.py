"""Fixtures for end-to-end replication: a real broker per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import Mosquitto, plain_config


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    b = Mosquitto(workdir, plain_config(workdir))
    try:
        yield b.start()
    finally:
        b.close()
