"""``motcua reconcile`` refusals that need no city: a node with no broker configured."""

from __future__ import annotations

from pathlib import Path

from tests.support.replication import motcua, node_log


def test_a_node_without_a_broker_is_told_there_is_no_city_to_ask(node_dir: Path) -> None:
    before = node_log(node_dir)
    for args in ((), ("--dry-run",)):
        result = motcua("reconcile", "--data-dir", str(node_dir), *args)
        assert result.returncode == 3, result.stderr
        assert "sync.broker is not set; no city to ask" in result.stderr
        assert "Traceback" not in result.stderr
    assert node_log(node_dir) == before
