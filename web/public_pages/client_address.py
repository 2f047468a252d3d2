"""The client address a public page counts requests against."""

from __future__ import annotations

from typing import Any

from litestar import Request


def client_address(request: Request[Any, Any, Any]) -> str:
    """The peer's address as the server saw it. Forwarded headers are not believed: any
    client can write one, and would then pick a fresh address for every guess. (A city
    behind a reverse proxy must have the proxy pass the address, e.g. uvicorn's
    ``--forwarded-allow-ips``, which rewrites the peer before this reads it.)"""
    return request.client.host if request.client is not None else "unknown"
