"""The pages' assets (stylesheet, vendored htmx), served by the process itself: an office
with no internet gets the same page as one with it."""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"
# htmx 2.0.11 from the npm registry (package htmx.org, licence 0BSD), unchanged.
HTMX = "htmx-2.0.11.min.js"


def static_files() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="static",
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600),
    )
