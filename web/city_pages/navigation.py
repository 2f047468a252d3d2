"""The city's menu and page frame: one list, filtered by the user's roles when a page is
rendered; the same shared template, styles and assets as a commune node's pages."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from rules.actor import Actor, Role
from web.page_kit.i18n import vi
from web.page_kit.rendering import NavItem, page

# The top bar's brand (the node's says "Bộ phận Một cửa"): a template global of the city's app.
CITY_BRAND = vi("Trung tâm dữ liệu thành phố")

CITY_NAV = (
    NavItem("/board", "Bảng xã/phường"),
    NavItem("/dossiers", "Hồ sơ"),
    NavItem("/indicators", "Chỉ số"),
    NavItem("/admin/accounts", "Tài khoản", frozenset({Role.ADMIN})),
)


def city_page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    actor: Actor,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A city page: the shared frame with the city's menu."""
    return page(request, template, actor=actor, nav=CITY_NAV, status_code=status_code, **context)
