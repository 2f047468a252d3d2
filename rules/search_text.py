"""Vietnamese-insensitive search: ``nguyen van duc`` finds ``Nguyễn Văn Đức``.

Folding removes every combining mark after NFD decomposition and maps đ/Đ (which do not
decompose) to d; the folded text is stored beside each dossier and matched with LIKE.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("đ", "d").replace("Đ", "D").lower().split())


def like_pattern(query: str) -> str:
    """A LIKE pattern (escape character ``\\``) that matches the folded query anywhere."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
