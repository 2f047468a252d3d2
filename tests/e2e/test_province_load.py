"""The province load generator, run small: its simulated nodes (real logs, real links)
converge with a city of two receivers on PostgreSQL after an outage, with no duplicate.

What the bench measures is timing; this checks only that what it drives is correct, so
its figures stand on a sound run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import province_load

NODES = 5


@pytest.mark.slow
def test_simulated_nodes_converge_after_a_city_outage(tmp_path: Path, pg_server: str) -> None:
    figures = province_load.main(
        [
            "--only",
            "outage",
            "--nodes",
            str(NODES),
            "--events-per-node",
            "50",
            "--dossiers",
            "2",
            "--scan-kb",
            "8",
            "--outage-seconds",
            "0.5",
            "--receivers",
            "2",
            "--ack-timeout",
            "2.0",  # a first window lost before the receivers subscribed goes again soon
            "--pg-url",
            pg_server,
            "--workdir",
            str(tmp_path),
        ]
    )
    outage = figures["outage"]
    # 42 reference events, 16 dossiers x 3 events, 2 dossiers x 4 events (scan attached).
    assert outage["events"] == NODES * (42 + 48 + 8)
    assert outage["files"] == NODES * 2
    assert outage["digests_equal"] == NODES  # events, files and dossiers, node by node
    assert outage["duplicates"] == 0
    assert outage["node_rejections"] == 0
