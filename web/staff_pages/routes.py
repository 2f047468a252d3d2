"""Every staff page handler, for the node's app to mount (with the static assets)."""

from __future__ import annotations

from pathlib import Path

from litestar.types import ControllerRouterHandler

from web.page_kit.static_assets import static_files
from web.staff_pages.admin_page import AdminPage
from web.staff_pages.dossier_list import DossierListPage
from web.staff_pages.dossier_page import DossierPage
from web.staff_pages.forms import FormPages
from web.staff_pages.indicators_page import IndicatorsPage
from web.staff_pages.reception import ReceptionPage
from web.staff_pages.scans_page import ScansPage
from web.staff_pages.settings_page import SettingsPage
from web.staff_pages.sync_page import SyncPage

TEMPLATES = Path(__file__).parent / "templates"

STAFF_PAGE_HANDLERS: list[ControllerRouterHandler] = [
    DossierListPage,
    FormPages,
    ScansPage,
    SyncPage,
    IndicatorsPage,
    AdminPage,
    SettingsPage,
    ReceptionPage,
    DossierPage,
    static_files(),
]
