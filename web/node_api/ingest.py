"""Scanner ingest endpoints: status, the unfiled inbox, and retrying quarantined files."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from scanner_ingest import status, unfiled
from scanner_ingest.quarantine import retry
from web.node_api.dossiers import ActorHeader, Runtime


def _conflict(_: Request, exc: unfiled.AlreadyDecided) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return Response({"status_code": 409, "detail": str(exc), "field": exc.field}, status_code=409)


class IngestController(Controller):
    path = "/api/v1/ingest"
    tags = ["ingest"]  # noqa: RUF012 - Litestar reads a plain list
    exception_handlers = {unfiled.AlreadyDecided: _conflict}  # noqa: RUF012

    @get("/status", name="ingest:status", sync_to_thread=True)
    def get_status(self, runtime: Runtime) -> status.IngestStatus:
        return status.read(runtime)

    @get("/unfiled", name="ingest:unfiled", sync_to_thread=True)
    def list_unfiled(
        self,
        runtime: Runtime,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> unfiled.UnfiledPage:
        return unfiled.list_unfiled(runtime, limit, offset)

    @post(
        "/unfiled/{part_id:str}/assign", name="ingest:assign", status_code=200, sync_to_thread=True
    )
    def assign(
        self,
        part_id: FromPath[str],
        data: JSONBody[unfiled.AssignRequest],
        runtime: Runtime,
        actor: ActorHeader = "api",
    ) -> unfiled.UnfiledOut:
        return unfiled.assign(runtime, part_id, data, actor)

    @post(
        "/unfiled/{part_id:str}/reject", name="ingest:reject", status_code=200, sync_to_thread=True
    )
    def reject(
        self,
        part_id: FromPath[str],
        data: JSONBody[unfiled.RejectRequest],
        runtime: Runtime,
        actor: ActorHeader = "api",
    ) -> unfiled.UnfiledOut:
        return unfiled.reject(runtime, part_id, data, actor)

    @get("/quarantine", name="ingest:quarantine", sync_to_thread=True)
    def list_quarantine(self, runtime: Runtime) -> list[retry.QuarantinedOut]:
        return retry.list_items(runtime)

    @post(
        "/quarantine/{quarantine_id:str}/retry",
        name="ingest:retry",
        status_code=200,
        sync_to_thread=True,
    )
    def retry_one(
        self, quarantine_id: FromPath[str], runtime: Runtime, actor: ActorHeader = "api"
    ) -> retry.RetryOut:
        return retry.retry(runtime, quarantine_id, actor)
