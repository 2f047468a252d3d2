"""Fixtures for end-to-end replication: a real broker per test."""

from __future__ import annotations

import pytest

from tests.support.mosquitto import Mosquitto


@pytest.fixture
def broker(mosquitto: Mosquitto) -> Mosquitto:
    """The plain broker of ``tests/support/broker_fixtures.py``, under the name e2e tests use."""
    return mosquitto
