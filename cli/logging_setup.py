"""How every long-running ``motcua`` process logs: one line per record, whatever it quotes.

File names, request fields and other values from outside reach log messages; a name such
as ``memo\\nERROR - ... DATABASE CORRUPT ...\\n.bin`` must not start a line of its own that
looks like a record. ``EscapingFormatter`` makes that structural rather than a matter of
care at each call: in the rendered record every control character (newline, CR, ESC, the
C1 controls, the Unicode line separators) and every lone surrogate (an undecodable byte of
a file name) becomes a visible escape such as ``\\n`` or ``\\x1b``. A traceback keeps its
lines, each indented, so a line that does not start with a timestamp always belongs to the
record above it.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
#: Prefix of each line of a traceback or stack, under its record's line.
CONTINUATION = "    "

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control character and lone surrogate as a visible escape."""
    return _UNSAFE.sub(_escape_one, text)


class EscapingFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose output has one line per record, plus indented
    traceback lines (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        exc_info, exc_text, stack_info = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            line = escape(super().format(record))
        finally:
            record.exc_info, record.exc_text, record.stack_info = exc_info, exc_text, stack_info
        extra: list[str] = []
        if exc_info:
            extra.append(exc_text or self.formatException(exc_info))
        elif exc_text:
            extra.append(exc_text)
        if stack_info:
            extra.append(self.formatStack(stack_info))
        lines = [escape(part) for text in extra for part in text.splitlines()]
        return "\n".join([line, *(CONTINUATION + part for part in lines)])


def configure_logging(level: int = logging.INFO) -> None:
    """The root logger writes escaped records to stderr (for the ``motcua`` commands that
    run services: ingest, serve, sync, central serve)."""
    handler = logging.StreamHandler()
    handler.setFormatter(EscapingFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
