"""Render a page: one helper gives every template the same context (language, translate,
CSRF token, the acting user, the navigation), so no controller assembles it by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from rules.actor import Actor, Role
from rules.clock import OFFICE_TZ, from_utc_iso
from rules.lifecycle import STATUS_LABELS_VI, Status
from web.page_kit.i18n import LANGUAGE_NAMES, LANGUAGES, translator
from web.page_kit.request_context import CSRF_FIELD, csrf_token_of, lang_of

TEMPLATES = Path(__file__).parent / "templates"


class NavItem(msgspec.Struct, frozen=True):
    path: str
    label: str  # Vietnamese; translated when shown
    # Shown to a user holding any of these roles; empty: to every signed-in user.
    roles: frozenset[Role] = frozenset()

    def shown_to(self, actor: Actor | None) -> bool:
        return actor is not None and (not self.roles or bool(self.roles & actor.roles))


def template_config(
    *directories: Path, globals_: dict[str, Any] | None = None
) -> TemplateConfig[JinjaTemplateEngine]:
    """Templates from ``directories`` first, then the shared ones (base, macros).

    Autoescape is on for every template: a value is text unless a template says otherwise.
    StrictUndefined makes a misspelt variable an error in tests, not an empty cell.
    """
    env = Environment(
        loader=FileSystemLoader([*directories, TEMPLATES]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_datetime"] = local_datetime
    env.filters["local_date"] = local_date
    env.globals.update(globals_ or {})
    return TemplateConfig(engine=JinjaTemplateEngine(engine_instance=env))


def local_datetime(value: str | datetime | None) -> str:
    """dd/mm/yyyy HH:MM in the office's time zone; "" for none."""
    if value is None or value == "":
        return ""
    moment = from_utc_iso(value) if isinstance(value, str) else value
    return moment.astimezone(OFFICE_TZ).strftime("%d/%m/%Y %H:%M")


def local_date(value: str | datetime | None) -> str:
    if value is None or value == "":
        return ""
    moment = from_utc_iso(value) if isinstance(value, str) else value
    return moment.astimezone(OFFICE_TZ).strftime("%d/%m/%Y")


def current_nav(nav: Sequence[NavItem], path: str) -> str:
    """The menu entry the page belongs to: the longest item path that is the page's path or
    a folder of it (``/dossiers/new`` is reception, not the list), or "" for none."""
    matches = [item.path for item in nav if path == item.path or path.startswith(item.path + "/")]
    return max(matches, key=len, default="")


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    actor: Actor | None,
    nav: Sequence[NavItem] = (),
    status_code: int = 200,
    **context: Any,
) -> Template:
    """The template rendered with the shared context plus ``context``."""
    lang = lang_of(request.scope, dict(request.cookies))
    translate = translator(lang)
    shared: dict[str, Any] = {
        "lang": lang,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "_": translate,
        "csrf_field_name": CSRF_FIELD,
        "csrf_value": csrf_token_of(request.scope),
        "actor": actor,
        "nav": [item for item in nav if item.shown_to(actor)],
        "current_path": request.url.path,
        "current_nav": current_nav(nav, request.url.path),
        "status_label": lambda code: translate(STATUS_LABELS_VI[Status(int(code))]),
    }
    return Template(template_name=template, context={**shared, **context}, status_code=status_code)
