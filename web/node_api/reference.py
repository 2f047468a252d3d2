"""Reference data, documents, indicators and health: small read-only endpoints."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, PathParameter, QueryParameter
from litestar.response import File

from node import dossier_store, reference_data
from rules import indicators
from rules.clock import from_utc_iso, utc_now
from rules.permissions import Operation, require
from web.health.node_health import healthz_body, node_health
from web.json_api.api_docs import PublicOperation
from web.json_api.identity import CurrentActor
from web.json_api.params import parse_bound
from web.json_api.responses import errors, health_responses
from web.json_api.stored_files import stored_file
from web.node_api.dossiers import Runtime

SHA256 = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{64}$")]


class ReferenceController(Controller):
    path = "/api/v1"
    tags = ["reference"]  # noqa: RUF012 - Litestar reads a plain list

    @get("/procedures", name="procedures:list", responses=errors(400), sync_to_thread=True)
    def procedures(
        self, runtime: Runtime, include_old: FromQuery[bool] = False
    ) -> list[reference_data.Procedure]:
        # Served as stored: ``current`` says which version new dossiers use.
        return reference_data.list_procedures(runtime.db.read(), include_old)

    @get(
        "/documents/{sha256:str}",
        name="documents:get",
        responses=errors(400, 403, 404),
        sync_to_thread=True,
    )
    def document(self, sha256: SHA256, runtime: Runtime, actor: CurrentActor) -> File:
        require(actor, Operation.READ_DOSSIERS)
        row = (
            runtime.db.read()
            .execute(
                "SELECT b.mime, d.filename FROM blobs b "
                "LEFT JOIN documents d ON d.sha256 = b.sha256 "
                "WHERE b.sha256 = ? LIMIT 1",
                (sha256,),
            )
            .fetchone()
        )
        if row is None:
            raise NotFoundException(f"no document with SHA-256 {sha256}")
        # Inline only for the types a browser shows without running anything (stored_files).
        return stored_file(runtime.blobs.path_for(sha256), str(row[0]), str(row[1] or sha256))

    @get("/stats", name="stats", responses=errors(400, 403), sync_to_thread=True)
    def stats(
        self,
        runtime: Runtime,
        from_: Annotated[str | None, QueryParameter(name="from")] = None,
        to: FromQuery[str | None] = None,
        *,
        actor: CurrentActor,
    ) -> indicators.Stats:
        require(actor, Operation.READ_DOSSIERS)
        start, end = parse_bound(from_, "from", end=False), parse_bound(to, "to", end=True)
        states = dossier_store.iter_states(runtime.db.read())
        return indicators.compute(
            states,
            None if start is None else from_utc_iso(start),
            None if end is None else from_utc_iso(end),
            utc_now(),
        )


# Public (no log-in): monitoring and start-up scripts poll it; it names no citizen. The
# same snapshot as /metrics and the sync page (web.health); 503 when the node cannot write.
@get(
    "/healthz",
    name="health",
    responses=health_responses(),
    sync_to_thread=True,
    tags=["health"],
    opt={"public": True},
    operation_class=PublicOperation,
)
def healthz(runtime: Runtime) -> Response[dict[str, object]]:
    health = node_health(runtime)
    return Response(
        healthz_body(health),
        status_code=503 if health.status == "error" else 200,
        headers={"Cache-Control": "no-store"},
    )
