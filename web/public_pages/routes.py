"""What an app mounts for the public pages: the handlers, the templates folder, and the
dependencies (``progress_source`` and the one ``public_limiter`` of the app)."""

from __future__ import annotations

from pathlib import Path

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from settings.public_pages import LookupSettings
from web.public_pages.lookup_page import LookupPage
from web.public_pages.progress_source import ProgressSource
from web.public_pages.rate_limit import ClientLimiter

TEMPLATES = Path(__file__).parent / "templates"

#: At the node and at the city.
LOOKUP_HANDLERS: list[ControllerRouterHandler] = [LookupPage]


def public_dependencies(source: ProgressSource, limits: LookupSettings) -> dict[str, Provide]:
    """One limiter per app, shared by its public pages."""
    limiter = ClientLimiter(limits)

    def provide_source() -> ProgressSource:
        return source

    def provide_limiter() -> ClientLimiter:
        return limiter

    return {
        "progress_source": Provide(provide_source, sync_to_thread=False),
        "public_limiter": Provide(provide_limiter, sync_to_thread=False),
    }
