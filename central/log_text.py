"""Values quoted for key=value log lines."""

from __future__ import annotations


def quote(value: object, limit: int = 200) -> str:
    # key=value logs stay one line and parseable whatever a peer put in a topic.
    text = str(value)[:limit]
    if text and all(c.isalnum() or c in "-_.:/+#$@" for c in text):
        return text
    return (
        '"'
        + text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .encode("ascii", "backslashreplace")
        .decode()
        .replace("\n", "\\n")
        + '"'
    )
