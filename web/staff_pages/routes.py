"""Every staff page handler, for the node's app to mount (with the static assets)."""

from __future__ import annotations

from pathlib import Path

from litestar.types import ControllerRouterHandler

from web.page_kit.static_assets import static_files
from web.staff_pages.dossier_list import DossierListPage
from web.staff_pages.dossier_page import DossierPage
from web.staff_pages.reception import ReceptionPage

TEMPLATES = Path(__file__).parent / "templates"

STAFF_PAGE_HANDLERS: list[ControllerRouterHandler] = [
    DossierListPage,
    ReceptionPage,
    DossierPage,
    static_files(),
]
