"""Every city page handler, for the city's app to mount (with the static assets and the
log-in pages). Pages of other areas (board, dossiers, indicators) add theirs here."""

from __future__ import annotations

from pathlib import Path

from litestar.types import ControllerRouterHandler

from web.auth.login_pages import LoginPages
from web.city_pages.accounts import CityAccountsPage
from web.city_pages.board_page import BoardPage
from web.city_pages.commune_page import CommunePage
from web.city_pages.dossier_list import CityDossierList
from web.city_pages.dossier_page import CityDossierPage
from web.city_pages.home import HomePages
from web.city_pages.indicators_pages import CityIndicatorPages
from web.city_pages.ratings_page import CityRatingsPage
from web.city_pages.reference_page import ReferencePushPage
from web.page_kit.static_assets import static_files

TEMPLATES = Path(__file__).parent / "templates"

CITY_PAGE_HANDLERS: list[ControllerRouterHandler] = [
    HomePages,
    LoginPages,
    CityAccountsPage,
    CityDossierList,
    CityDossierPage,
    ReferencePushPage,
    CityRatingsPage,
    BoardPage,
    CommunePage,
    CityIndicatorPages,
    static_files(),
]
