"""The staff menu: one list, filtered by the user's roles when a page is rendered."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from rules.actor import Actor, Role
from web.page_kit.rendering import NavItem, page

STAFF_NAV = (
    NavItem("/dossiers", "Hồ sơ"),
    NavItem("/dossiers/new", "Tiếp nhận", frozenset({Role.RECEPTION})),
    NavItem("/scans", "Bản quét chưa gán", frozenset({Role.RECEPTION, Role.PROCESSING})),
    NavItem("/sync", "Đồng bộ"),
    NavItem("/indicators", "Chỉ số"),
    NavItem("/admin", "Quản trị", frozenset({Role.ADMIN})),
)


def staff_page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    actor: Actor,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A staff page: the shared frame with the staff menu."""
    return page(request, template, actor=actor, nav=STAFF_NAV, status_code=status_code, **context)
