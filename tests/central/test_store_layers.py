"""The city's store depends on nothing of the node but ``rules/`` and ``storage/``, and the
shared row mappings live there, so the node and the city cannot drift apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FORBIDDEN = ("node", "uplink", "scanner_ingest")
STORE_MODULES = sorted(
    {*ROOT.glob("central/*store*.py"), *ROOT.glob("central/sql_*.py"), *ROOT.glob("storage/*.py")}
    | {ROOT / "central/event_checks.py", ROOT / "rules/reference_streams.py"}
)


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", STORE_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_nothing_of_the_node(path: Path) -> None:
    bad = {n for n in _imported(path) if n.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize(
    ("path", "mapping"),
    [
        ("node/event_log.py", "storage.event_rows"),
        ("central/sql_tables.py", "storage.event_rows"),
        ("node/dossier_store.py", "storage.dossier_rows"),
        ("central/sql_tables.py", "storage.dossier_rows"),
        ("central/sql_reads.py", "storage.dossier_rows"),
    ],
)
def test_node_and_city_use_the_one_row_mapping(path: str, mapping: str) -> None:
    assert mapping in _imported(ROOT / path)
