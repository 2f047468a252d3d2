"""Push a catalog or a holiday calendar to communes (``/reference``), for a user who may
(``Operation.PUSH_REFERENCE``): the page's door to ``central.city_actions.push_reference``,
the same as ``motcua central catalog|calendar push``.

The file is the TOML the command line reads (``rules.reference_entries``), checked whole
before anything is appended; only nodes that have replicated here can be chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.response import Template

from central import city_actions
from central.runtime import CentralRuntime
from rules.actor import Actor
from rules.calendar_gaps import AffectedDossier
from rules.clock import utc_now
from rules.permissions import Operation, require
from rules.reference_entries import (
    CalendarEntry,
    ImportFileError,
    ProcedureEntry,
    parse_calendar,
    parse_catalog,
)
from web.city_pages.navigation import city_page
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator

Central = NamedDependency[CentralRuntime]
MAX_FILE_BYTES = 2 * 1024 * 1024  # a national catalog is a few hundred KiB
KINDS = {"catalog": vi("Danh mục thủ tục"), "calendar": vi("Lịch nghỉ lễ, ngày làm bù")}
NO_FILE = vi("Chọn tệp TOML của danh mục hoặc lịch.")
NO_KIND = vi("Chọn loại tệp: danh mục thủ tục hoặc lịch.")
NO_TARGET = vi("Chọn ít nhất một xã/phường, hoặc tất cả.")
UNKNOWN_NODE = vi("Xã/phường này chưa từng gửi dữ liệu về trung tâm:")
BAD_FILE = vi("Tệp không hợp lệ:")


@dataclass(frozen=True)
class PushResult:
    node_id: str
    appended: int  # entries that differed from what the node holds, appended to its log
    affected: list[AffectedDossier]  # its open dossiers whose provisional deadline moves


class ReferencePushPage(Controller):
    include_in_schema = False
    path = "/reference"

    @get("/", name="city:reference", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], central: Central, actor: CurrentActor
    ) -> Template:
        require(actor, Operation.PUSH_REFERENCE)
        return _render(request, central, actor)

    @post("/", name="city:reference_push", request_max_body_size=MAX_FILE_BYTES + 64 * 1024)
    async def push(
        self, request: Request[Any, Any, Any], central: Central, actor: CurrentActor
    ) -> Template:
        require(actor, Operation.PUSH_REFERENCE)
        translate = page_translator(request)
        form = await request.form()
        kind = str(form.get("kind", ""))
        upload = form.get("file")
        chosen = [str(n) for n in form.getall("node")] if "node" in form else []
        every = str(form.get("all", "")) == "1"
        values = {"kind": kind, "all": "1" if every else "", "nodes": chosen}
        known = await anyio.to_thread.run_sync(
            lambda: [n.node_id for n in central.store.list_nodes()]
        )
        errors: dict[str, str] = {}
        if kind not in KINDS:
            errors["kind"] = translate(NO_KIND)
        raw = await upload.read() if isinstance(upload, UploadFile) else b""
        if not raw:
            errors["file"] = translate(NO_FILE)
        targets = known if every else chosen
        if not targets:
            errors["node"] = translate(NO_TARGET)
        unknown = [n for n in targets if n not in known]
        if unknown:
            errors["node"] = f"{translate(UNKNOWN_NODE)} {', '.join(repr(n[:64]) for n in unknown)}"
        if errors:
            return _render(request, central, actor, 400, errors, values)
        name = str(getattr(upload, "filename", "") or "tệp")[:200]
        try:
            procedures = parse_catalog(raw, name) if kind == "catalog" else []
            days = parse_calendar(raw, name) if kind == "calendar" else []
        except ImportFileError as exc:
            errors["file"] = f"{translate(BAD_FILE)} {exc}"
            return _render(request, central, actor, 400, errors, values)
        results = await anyio.to_thread.run_sync(
            lambda: _push(central, targets, procedures, days, actor)
        )
        return _render(request, central, actor, values=values, results=results)


def _push(
    central: CentralRuntime,
    targets: list[str],
    procedures: list[ProcedureEntry],
    days: list[CalendarEntry],
    actor: Actor,
) -> list[PushResult]:
    now = utc_now()
    appended = city_actions.push_reference(central.store, targets, procedures, days, actor, now)
    years = sorted({d.date.year for d in days})
    periods = central.config.office_periods()
    results = []
    for node_id, count in appended.items():
        affected = city_actions.calendar_affected(central.store, node_id, years, periods)
        results.append(PushResult(node_id, count, affected))
        if count:
            central.notify_down(node_id)
    return results


def _render(
    request: Request[Any, Any, Any],
    central: CentralRuntime,
    actor: Actor,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    results: list[PushResult] | None = None,
) -> Template:
    return city_page(
        request,
        "city_reference.html",
        actor=actor,
        status_code=status_code,
        nodes=[n.node_id for n in central.store.list_nodes()],
        kinds=KINDS,
        errors=errors or {},
        values=values or {"kind": "", "all": "", "nodes": []},
        results=results,
    )
