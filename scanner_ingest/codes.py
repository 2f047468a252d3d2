"""The regular expression that finds this node's dossier codes in a scan's filename.

Built from ``node.dossier_code_pattern`` so an office that changed its code pattern still
gets filename matching; the shipped default pattern uses ``qr_matching``'s expression.
A code found this way only names a candidate: it files a scan only if such a dossier
exists on the node.
"""

from __future__ import annotations

import re
import string

from scanner_ingest.qr_matching import DEFAULT_CODE_PATTERN
from settings.node import DEFAULT_CODE_PATTERN as DEFAULT_NODE_PATTERN

_FIELDS = {
    "agency": r"[0-9A-Z]+(?:\.[0-9A-Z]+)*",
    "yymmdd": r"\d{6}",
    "yyyymmdd": r"\d{8}",
}


def _serial(spec: str) -> str:
    width = spec.lstrip("0<>=^+- ").rstrip("d") if spec else ""
    return rf"\d{{{int(width)},}}" if width.isdigit() else r"\d+"


def code_regex(pattern: str) -> re.Pattern[str]:
    """The expression for codes made by ``pattern`` (placeholders as in the config)."""
    if pattern == DEFAULT_NODE_PATTERN:
        return DEFAULT_CODE_PATTERN
    parts: list[str] = []
    for literal, field, spec, _ in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if field is None:
            continue
        if field == "serial":
            parts.append(_serial(spec or ""))
        elif field in _FIELDS:
            parts.append(_FIELDS[field])
        else:
            raise ValueError(f"unknown placeholder {{{field}}} in dossier code pattern")
    return re.compile(r"(?<![0-9A-Za-z.])(?P<code>" + "".join(parts) + r")(?!\d)")
