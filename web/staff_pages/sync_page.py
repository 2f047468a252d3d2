"""The sync page (``/sync``): the link to the city, what waits to go up, the alarms in plain
words. Read from the node's one status snapshot (``web.health.node_health``: the sync status
the JSON API serves, and the disk's and the database's problems that ``/healthz`` and
``/metrics`` report); the panel (``/sync/panel``) is refreshed by htmx every few seconds,
the page reloads it without."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from node.runtime import NodeRuntime
from rules.actor import Actor
from uplink.status import status
from web.health.node_health import NodeHealth, node_health
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.quantities import age_text, size_text
from web.page_kit.request_context import page_translator
from web.staff_pages.dossier_list import Runtime
from web.staff_pages.navigation import staff_page
from web.staff_pages.sync_alarms import alarm_text

REFRESH_SECONDS = 3
LINK_LABELS = {
    "connected": vi("Đã kết nối với thành phố"),
    "disconnected": vi("Mất kết nối với thành phố"),
    "off": vi("Chưa cấu hình đồng bộ"),
}
LANE_LABELS = {
    "events": vi("Sự kiện hồ sơ"),
    "blobs": vi("Tệp đính kèm"),
    "control": vi("Điều khiển"),
}


def _context(
    runtime: NodeRuntime, health: NodeHealth, request: Request[Any, Any, Any]
) -> dict[str, Any]:
    _ = page_translator(request)
    # The database could not be read: the health snapshot has no sync part (its problems say
    # why); read it directly, so the page fails as any page would rather than half-drawn.
    sync = health.sync or status(runtime)
    return {
        "sync": sync,
        "link_label": LINK_LABELS.get(sync.link, sync.link),
        "lane_labels": LANE_LABELS,
        "alarms": [alarm_text(p.code) for p in health.problems],
        "alarm_details": {p.code: p.detail for p in health.problems},
        "age_text": lambda seconds: age_text(seconds, _),
        "size_text": size_text,
        "refresh_seconds": REFRESH_SECONDS,
    }


class SyncPage(Controller):
    include_in_schema = False

    @get("/sync", name="pages:sync", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], runtime: Runtime, actor: CurrentActor
    ) -> Template:
        health = node_health(runtime)
        return staff_page(request, "sync.html", actor=actor, **_context(runtime, health, request))

    @get("/sync/panel", name="pages:sync-panel", sync_to_thread=True)
    def panel(
        self, request: Request[Any, Any, Any], runtime: Runtime, actor: CurrentActor
    ) -> Template:
        return _panel(request, actor, runtime, node_health(runtime))


def _panel(
    request: Request[Any, Any, Any], actor: Actor, runtime: NodeRuntime, health: NodeHealth
) -> Template:
    context = _context(runtime, health, request)
    return staff_page(request, "sync_panel.html", actor=actor, **context)
