"""The city's accounts page: the shared one (web.auth) in the city's frame, with the
city's roles and the node of a commune-viewer (``CentralRuntime.account_site``)."""

from __future__ import annotations

from web.auth.accounts_page import AccountsPage
from web.city_pages.navigation import city_page


class CityAccountsPage(AccountsPage):
    frame = staticmethod(city_page)
