"""Replication over mutual TLS with the project's own PKI and Mosquitto config."""

from __future__ import annotations

from pathlib import Path

from node.runtime import open_node
from tests.support.mosquitto import Mosquitto
from tests.support.pki_bundle import NODE_A, PkiBundle
from tests.support.replication import (
    Central,
    Proc,
    add_dossiers,
    make_node,
    motcua,
    sync_proc,
    wait_converged,
)


def test_node_and_city_replicate_over_mutual_tls(
    tmp_path: Path, mosquitto_tls: Mosquitto, test_pki: PkiBundle
) -> None:
    url = f"mqtts://localhost:{mosquitto_tls.port}"
    node_tls, city_tls = test_pki.node(NODE_A), test_pki.central()
    node_dir = make_node(
        tmp_path, NODE_A, url, tls=(str(node_tls.ca), str(node_tls.cert), str(node_tls.key))
    )
    central_dir = tmp_path / "central"
    init = motcua(
        "central",
        "init",
        "--data-dir",
        str(central_dir),
        "--broker",
        url,
        "--ca",
        str(city_tls.ca),
        "--cert",
        str(city_tls.cert),
        "--key",
        str(city_tls.key),
        "--name",
        "main",
    )
    assert init.returncode == 0, init.stderr
    central = Central(central_dir, 0, Proc([], tmp_path / "central.log")).another().start()
    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 50, steps=("start",))
    finally:
        rt.close()
    sender = sync_proc(node_dir).start()
    try:
        report = wait_converged(node_dir, central, NODE_A, timeout=60)
        assert report.clean and report.central_events >= 100
    finally:
        sender.stop()
        central.proc.stop()
