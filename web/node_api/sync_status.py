"""``GET /api/v1/sync/status`` on the node."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from node.runtime import NodeRuntime
from uplink.status import SyncStatus, status
from web.json_api.responses import errors


class SyncController(Controller):
    path = "/api/v1/sync"
    tags = ["sync"]  # noqa: RUF012 - Litestar reads a plain list

    @get("/status", name="sync:status", responses=errors(), sync_to_thread=True)
    def get_status(self, runtime: NamedDependency[NodeRuntime]) -> SyncStatus:
        return status(runtime)
