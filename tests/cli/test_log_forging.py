"""A file name that carries log lines cannot forge records in a real process's log."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.runtime import open_node
from tests.scanner_ingest.ingest_support import (
    configure,
    folder,
    start_ingest_ready,
    stop,
    wait_receipts,
)
from tests.support.live_node import start_node

FORGED = "memo\nERROR - 2027-02-05 12:00:00 DATABASE CORRUPT - call 0900000000\n\x1b[2J.bin"
ESCAPED = "memo\\nERROR - 2027-02-05 12:00:00 DATABASE CORRUPT"


def forged_lines(log: str) -> list[str]:
    """Lines where the forged text begins a line of its own instead of staying, escaped,
    inside the record that quotes the name."""
    return [line for line in log.splitlines() if "DATABASE CORRUPT" in line and ESCAPED not in line]


@pytest.mark.parametrize("command", ["ingest", "serve"])
def test_a_forged_file_name_stays_inside_its_record(
    node_dir: Path, tmp_path: Path, command: str
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    configure(node_dir, [folder(share, name="may-1")], retry_seconds=0.2)
    (share / FORGED).write_bytes(b"\x00\x01 not a scan")  # small on disk: only its name
    rt = open_node(node_dir)
    log_path = tmp_path / "ingest.log"
    if command == "ingest":
        process = start_ingest_ready(node_dir, log_path)
        try:
            wait_receipts(rt, 1, outcome="quarantined")
        finally:
            assert stop(process) == 0
        log = log_path.read_text(errors="replace")
    else:
        node = start_node(node_dir)
        try:
            wait_receipts(rt, 1, outcome="quarantined")
        finally:
            node.stop()
        log = node.log()
    rt.close()
    assert "DATABASE CORRUPT" in log, log  # the name was logged ...
    assert forged_lines(log) == [], log  # ... inside its record, escaped
    assert "\x1b" not in log
    assert ESCAPED in log
