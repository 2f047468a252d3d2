"""Reading a Prometheus text page in tests."""

from __future__ import annotations


def samples(text: str) -> dict[str, float]:
    """``name{labels}`` -> value of every sample of a Prometheus text page."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            found[key] = float(value)
    return found
