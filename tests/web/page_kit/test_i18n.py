"""The English catalog covers every Vietnamese text the pages write, and holds no orphan."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from rules.lifecycle import STATUS_LABELS_VI
from web.page_kit.i18n import catalog, translator

WEB = Path(__file__).resolve().parents[3] / "web"
# _("...") or _('...') in a template; the text is a Jinja string literal.
_TEMPLATE_TEXT = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def _template_texts() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(WEB.rglob("*.html")):
        for match in _TEMPLATE_TEXT.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1) or match.group(2), path)
    return found


def _python_texts() -> dict[str, Path]:
    """Texts the page modules hand to ``_`` later: NavItem labels, ``_("...")`` and
    ``vi("...")`` calls, and the status names every page shows."""
    found: dict[str, Path] = {
        label: Path("rules/lifecycle.py") for label in STATUS_LABELS_VI.values()
    }
    for path in sorted(WEB.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            first = node.args[1] if name == "NavItem" and len(node.args) > 1 else node.args[0]
            if name in {"_", "NavItem", "vi"} and isinstance(first, ast.Constant):
                found.setdefault(str(first.value), path)
    return found


def test_every_page_text_has_an_english_translation() -> None:
    english = catalog("en")
    texts = {**_python_texts(), **_template_texts()}
    assert texts, "the scan found no text: the pattern is broken"
    missing = sorted(
        f"{text!r} ({where.name})" for text, where in texts.items() if text not in english
    )
    assert not missing, "add to web/page_kit/translations/en.toml:\n" + "\n".join(missing)


def test_the_catalog_holds_no_text_no_page_uses() -> None:
    texts = {**_python_texts(), **_template_texts()}
    orphans = sorted(set(catalog("en")) - set(texts))
    assert not orphans, f"remove from en.toml (no page uses them): {orphans}"


def test_vietnamese_is_the_text_itself_and_english_translates() -> None:
    assert translator("vi")("Hồ sơ") == "Hồ sơ"
    assert translator("en")("Hồ sơ") == "Dossiers"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        catalog("fr")
