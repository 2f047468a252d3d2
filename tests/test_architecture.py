"""The shape of the house, checked: no import loops between files, no oversized module.

The layer contracts themselves are import-linter's (``[tool.importlinter]`` in pyproject.toml,
run by ``scripts/test``); this file checks what import-linter does not.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).parents[1]
# The product's packages as the build declares them, so a package added later is checked too
# (``accounts`` was missed while this was a list of its own).
PRODUCT = tuple(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"][
        "wheel"
    ]["packages"]
)
MAX_LINES = 400
# A module over MAX_LINES must say in its first lines why it stays whole, with this phrase.
WHOLE_MARK = "stays whole:"


def _loops(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_loop_finder_finds_a_loop() -> None:
    assert _loops({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _loops({"a": {"b"}, "b": set()}) == []


def test_no_two_modules_import_each_other_even_through_others_or_for_type_checking() -> None:
    graph = grimp.build_graph(*PRODUCT, exclude_type_checking_imports=False)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _loops(edges) == []


def test_no_module_over_the_size_limit_unless_it_says_why() -> None:
    oversized = []
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            if len(lines) > MAX_LINES and not any(WHOLE_MARK in line for line in lines[:15]):
                oversized.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
    assert oversized == []
