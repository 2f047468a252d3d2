"""Dossier endpoints: receive, read, search, move through the lifecycle, attach files."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from node import dossier_service, dossier_store
from node.dossier_service import ReceiveRequest
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from rules.permissions import Operation, require
from rules.transitions import TransitionRequest
from storage.dossier_rows import DossierFilter
from web.json_api.identity import CurrentActor
from web.json_api.params import Limit, Offset, SearchQuery, TextId, parse_bound
from web.json_api.responses import errors, writes
from web.json_api.schemas import DossierOut, DossierPage, dossier_out
from web.node_api.upload import attach_upload
from web.node_api.upload_doc import UploadOperation

Runtime = NamedDependency[NodeRuntime]


class DossierController(Controller):
    path = "/api/v1/dossiers"
    tags = ["dossiers"]  # noqa: RUF012 - Litestar reads a plain list

    @post("/", name="dossiers:receive", responses=writes(400, 413, clock=True))
    async def receive(
        self, data: JSONBody[ReceiveRequest], runtime: Runtime, actor: CurrentActor
    ) -> DossierOut:
        # The checks and reads run here (a fraction of a millisecond of SQLite reads on this
        # node's own disk); the write waits for the group commit without holding a worker
        # thread: a create crossed two threads before, the framework's and the writer.
        write = dossier_service.plan_receive(runtime, data, actor)
        state = await runtime.db.submit_async(write)
        return dossier_out(state, utc_now())

    @get("/", name="dossiers:list", responses=errors(400, 403), sync_to_thread=True)
    def search(
        self,
        runtime: Runtime,
        q: SearchQuery = None,
        status: Annotated[int | None, QueryParameter(ge=1, le=10)] = None,
        overdue: FromQuery[bool | None] = None,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        *,
        actor: CurrentActor,
    ) -> DossierPage:
        require(actor, Operation.READ_DOSSIERS)
        now = utc_now()
        f = DossierFilter(
            q=q,
            status=status,
            received_from=parse_bound(from_, "from", end=False),
            received_to=parse_bound(to, "to", end=True),
            overdue=overdue,
            now=to_utc_iso(now),
            limit=limit,
            offset=offset,
        )
        states, total = dossier_store.query(runtime.db.read(), f)
        return DossierPage([dossier_out(s, now) for s in states], total, limit, offset)

    @get(
        "/{dossier_id:str}",
        name="dossiers:get",
        responses=errors(400, 403, 404),
        sync_to_thread=True,
    )
    def get_one(self, dossier_id: TextId, runtime: Runtime, actor: CurrentActor) -> DossierOut:
        state, events = dossier_service.get(runtime, dossier_id, actor)
        return dossier_out(state, utc_now(), events)

    @post(
        "/{dossier_id:str}/transitions",
        name="dossiers:transition",
        responses=writes(400, 404, 409, 413, clock=True),
        sync_to_thread=True,
    )
    def transition(
        self,
        dossier_id: TextId,
        data: JSONBody[TransitionRequest],
        runtime: Runtime,
        actor: CurrentActor,
    ) -> DossierOut:
        state = dossier_service.transition(runtime, dossier_id, data, actor)
        return dossier_out(state, utc_now())

    @post(
        "/{dossier_id:str}/documents",
        name="dossiers:attach",
        responses=writes(400, 404, 413),
        operation_class=UploadOperation,
        request_max_body_size=None,
    )
    async def attach(
        self,
        dossier_id: TextId,
        request: Request,  # type: ignore[type-arg]
        runtime: Runtime,
        actor: CurrentActor,
    ) -> DossierOut:
        state = await attach_upload(request, runtime, dossier_id, actor)
        return dossier_out(state, utc_now())
