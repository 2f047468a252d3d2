"""An entry too large for one event (a catalog entry with as many components, each as long,
as the import admits: 200 of 500 three-byte characters, 300 kB) is refused where it enters,
at the node and at the city, with an error naming it; nothing is written and the node's
replication goes on."""

from __future__ import annotations

from pathlib import Path

from node.runtime import open_node
from rules.event_record import MAX_EVENT_BODY_BYTES
from rules.reference_entries import MAX_COMPONENT_CHARS, MAX_COMPONENTS
from storage.db import scalar
from tests.support.mosquitto import Mosquitto
from tests.support.replication import (
    add_dossiers,
    make_central,
    make_node,
    motcua,
    sync_proc,
    wait_converged,
)

NODE = "xa-oversize"
CATALOG = """
[[procedure]]
code = "1.000894"
version = "2"
name = "Đăng ký khai sinh"
field = "Hộ tịch"
time_limit = 1
time_unit = "working_days"
online_level = "full"
components = [{components}]
"""


def _events(node_dir: Path) -> int:
    rt = open_node(node_dir)
    try:
        return int(scalar(rt.db.read(), "SELECT COUNT(*) FROM events"))
    finally:
        rt.close()


def test_an_oversize_catalog_entry_is_refused_and_replication_goes_on(
    tmp_path: Path, broker: Mosquitto
) -> None:
    url = f"mqtt://{broker.host}:{broker.port}"
    node_dir = make_node(tmp_path, NODE, url, sync={"ack_timeout_seconds": "2.0"})
    central = make_central(tmp_path, url)
    catalog = tmp_path / "catalog.toml"
    # Each text within the import's own bounds; only the whole entry is too large.
    component = '"' + "ệ" * MAX_COMPONENT_CHARS + '"'
    components = ", ".join([component] * MAX_COMPONENTS)
    catalog.write_text(CATALOG.format(components=components), encoding="utf-8")
    before = _events(node_dir)

    imported = motcua("catalog", "import", "--data-dir", str(node_dir), str(catalog))
    assert imported.returncode == 2, imported.stdout
    assert f"{catalog}: procedure #1 ('1.000894')" in imported.stderr
    assert f"over the {MAX_EVENT_BODY_BYTES}-byte limit of one event" in imported.stderr
    assert _events(node_dir) == before

    pushed = motcua(
        "central", "catalog", "push", "--data-dir", str(central.data_dir),
        "--node", NODE, str(catalog),
    )  # fmt: skip
    assert pushed.returncode == 2, pushed.stdout
    assert f"over the {MAX_EVENT_BODY_BYTES}-byte limit of one event" in pushed.stderr

    rt = open_node(node_dir)
    try:
        add_dossiers(rt, 20, threads=2, steps=("start",))
    finally:
        rt.close()
    central.start()
    sender = sync_proc(node_dir).start()
    try:
        report = wait_converged(node_dir, central, NODE, timeout=60)
        assert report.clean, report
    finally:
        sender.stop()
        central.proc.stop()
