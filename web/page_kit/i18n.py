"""Vietnamese first: templates and pages write their text in Vietnamese, wrapped in ``_()``;
``translations/en.toml`` maps each Vietnamese text to its English one.

The Vietnamese text is its own key, so a template reads as the page will, and a text missing
from the English catalog shows in Vietnamese rather than as a key (tests/web/page_kit checks
that the catalog covers every ``_()`` text and holds no orphan).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
CATALOG_DIR = Path(__file__).parent / "translations"

Translate = Callable[[str], str]


@functools.cache
def catalog(lang: str) -> Mapping[str, str]:
    """The text map for ``lang`` (empty for Vietnamese: the texts are Vietnamese already)."""
    if lang == DEFAULT_LANGUAGE:
        return {}
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    with (CATALOG_DIR / f"{lang}.toml").open("rb") as f:
        entries = tomllib.load(f)
    return {str(k): str(v) for k, v in entries.items()}


def translator(lang: str) -> Translate:
    texts = catalog(lang)

    def translate(text: str) -> str:
        return texts.get(text, text)

    return translate


def vi(text: str) -> str:
    """Marks a Vietnamese text in Python that a page translates later (a menu label, a
    message): the catalog test finds it, and it is returned unchanged."""
    return text
