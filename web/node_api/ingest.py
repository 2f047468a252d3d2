"""Scanner ingest endpoints: status, the unfiled inbox, and retrying quarantined files."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from scanner_ingest import status, unfiled
from scanner_ingest.quarantine import retry
from web.json_api.identity import CurrentActor
from web.json_api.params import Limit, Offset, TextId
from web.json_api.responses import errors, writes
from web.node_api.dossiers import Runtime


def _conflict(_: Request, exc: unfiled.AlreadyDecided) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    return Response({"status_code": 409, "detail": str(exc), "field": exc.field}, status_code=409)


class IngestController(Controller):
    path = "/api/v1/ingest"
    tags = ["ingest"]  # noqa: RUF012 - Litestar reads a plain list
    exception_handlers = {unfiled.AlreadyDecided: _conflict}  # noqa: RUF012

    @get("/status", name="ingest:status", responses=errors(), sync_to_thread=True)
    def get_status(self, runtime: Runtime) -> status.IngestStatus:
        return status.read(runtime)

    @get("/unfiled", name="ingest:unfiled", responses=errors(400), sync_to_thread=True)
    def list_unfiled(
        self,
        runtime: Runtime,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> unfiled.UnfiledPage:
        return unfiled.list_unfiled(runtime, limit, offset)

    @post(
        "/unfiled/{part_id:str}/assign",
        name="ingest:assign",
        responses=writes(400, 404, 409, 413),
        status_code=200,
        sync_to_thread=True,
    )
    def assign(
        self,
        part_id: TextId,
        data: JSONBody[unfiled.AssignRequest],
        runtime: Runtime,
        actor: CurrentActor,
    ) -> unfiled.UnfiledOut:
        return unfiled.assign(runtime, part_id, data, actor)

    @post(
        "/unfiled/{part_id:str}/reject",
        name="ingest:reject",
        responses=writes(400, 404, 409, 413),
        status_code=200,
        sync_to_thread=True,
    )
    def reject(
        self,
        part_id: TextId,
        data: JSONBody[unfiled.RejectRequest],
        runtime: Runtime,
        actor: CurrentActor,
    ) -> unfiled.UnfiledOut:
        return unfiled.reject(runtime, part_id, data, actor)

    @get("/quarantine", name="ingest:quarantine", responses=errors(), sync_to_thread=True)
    def list_quarantine(self, runtime: Runtime) -> list[retry.QuarantinedOut]:
        return retry.list_items(runtime)

    @post(
        "/quarantine/{quarantine_id:str}/retry",
        name="ingest:retry",
        responses=writes(400, 404),
        status_code=200,
        sync_to_thread=True,
    )
    def retry_one(
        self, quarantine_id: TextId, runtime: Runtime, actor: CurrentActor
    ) -> retry.RetryOut:
        return retry.retry(runtime, quarantine_id, actor)
