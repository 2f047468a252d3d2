"""The scans pages (``/scans``): the unfiled inbox with a preview, assign to a dossier or
reject with a note, and the quarantine with retry. Everything goes through the scanner
ingest services the JSON API uses (``scanner_ingest.unfiled``, ``quarantine.retry``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import File, Redirect, Template

from node import dossier_store
from rules.actor import Actor
from rules.clock import to_utc_iso, utc_now
from rules.errors import DossierError, NotFound
from scanner_ingest import unfiled
from scanner_ingest.quarantine import retry
from storage.dossier_rows import DossierFilter
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator
from web.staff_pages.dossier_list import Runtime
from web.staff_pages.navigation import staff_page
from web.staff_pages.scan_errors import explain

# Part ids are UUIDs, quarantine ids hex: anything else (``../``, dots, slashes) is a 404.
ItemId = Annotated[str, PathParameter(pattern=r"^[0-9A-Za-z-]{1,64}$")]
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE_SIZE = 20
# Shown inline; other types (TIFF...) are offered as a download only.
PREVIEWABLE = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}
# The preview's own policy: nothing runs, nothing loads, nothing embeds it elsewhere.
PREVIEW_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
)
# Why a part reached the inbox (``unfiled.UnfiledOut.reason``).
REASONS = {
    "no_code": vi("Không tìm thấy mã hồ sơ hay phiếu bìa"),
    "unknown_dossier": vi("Mã hồ sơ đọc được không có trên máy"),
    "ambiguous_slips": vi("Có nhiều phiếu bìa, không rõ thuộc hồ sơ nào"),
    "before_first_slip": vi("Các trang nằm trước phiếu bìa đầu tiên"),
}
NOTE_TOO_LONG = vi("Lý do từ chối dài quá 2000 ký tự.")
DONE = {
    "assigned": vi("Đã gán bản quét vào hồ sơ"),
    "rejected": vi("Đã từ chối bản quét"),
    "retried": vi("Đã trả tệp về thư mục quét để xử lý lại"),
}


class ScansPage(Controller):
    include_in_schema = False

    @get("/scans", name="pages:scans", sync_to_thread=True)
    def inbox(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        actor: CurrentActor,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
        done: Annotated[str, QueryParameter(max_length=20)] = "",
        code: Annotated[str, QueryParameter(max_length=50)] = "",
    ) -> Template:
        page = unfiled.list_unfiled(runtime, PAGE_SIZE, offset)
        return staff_page(
            request,
            "scans.html",
            actor=actor,
            items=page.items,
            total=page.total,
            limit=PAGE_SIZE,
            offset=offset,
            query=lambda **changes: urlencode({"offset": changes.get("offset", offset)}),
            quarantined=retry.list_items(runtime),
            done=DONE.get(done, ""),
            done_code=code,
            previewable=PREVIEWABLE,
            reasons=REASONS,
        )

    @get("/scans/{part_id:str}", name="pages:scan", sync_to_thread=True)
    def one(
        self,
        request: Request[Any, Any, Any],
        part_id: ItemId,
        runtime: Runtime,
        actor: CurrentActor,
        q: Annotated[str, QueryParameter(max_length=200)] = "",
    ) -> Template:
        return _scan_page(request, runtime, actor, part_id, {"q": q})

    @get("/scans/{part_id:str}/file", name="pages:scan-file", sync_to_thread=True)
    def file(self, part_id: ItemId, runtime: Runtime, actor: CurrentActor) -> File:
        try:
            path, mime = unfiled.stored_file(runtime, part_id)
        except NotFound as exc:
            raise NotFoundException(str(exc)) from None
        return File(
            path,
            media_type=mime,
            filename=f"scan-{part_id}",
            content_disposition_type="inline" if mime in PREVIEWABLE else "attachment",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": PREVIEW_CSP,
                "Cache-Control": "private, no-store",
            },
        )

    @post("/scans/{part_id:str}/assign", name="pages:scan-assign", sync_to_thread=True)
    def assign(
        self,
        request: Request[Any, Any, Any],
        part_id: ItemId,
        data: Form,
        runtime: Runtime,
        actor: CurrentActor,
    ) -> Response[Any]:
        dossier_id = data.get("dossier_id", "").strip()
        code = data.get("dossier_code", "").strip()
        try:
            unfiled.find(runtime, part_id)  # a missing part is a 404, not "no such dossier"
        except NotFound as exc:
            raise NotFoundException(str(exc)) from None
        try:
            req = unfiled.AssignRequest(
                dossier_id=dossier_id or None, dossier_code=None if dossier_id else code or None
            )
            done = unfiled.assign(runtime, part_id, req, actor)
        except DossierError as exc:
            return _refused(request, runtime, actor, part_id, data, exc)
        target = dossier_store.load(runtime.db.read(), done.dossier_id or "")
        shown = "" if target is None else target.code
        return Redirect(f"/scans?{urlencode({'done': 'assigned', 'code': shown})}", status_code=303)

    @post("/scans/{part_id:str}/reject", name="pages:scan-reject", sync_to_thread=True)
    def reject(
        self,
        request: Request[Any, Any, Any],
        part_id: ItemId,
        data: Form,
        runtime: Runtime,
        actor: CurrentActor,
    ) -> Response[Any]:
        note = data.get("note", "")
        try:
            unfiled.find(runtime, part_id)
        except NotFound as exc:
            raise NotFoundException(str(exc)) from None
        if len(note) > 2000:
            why = (422, "note", NOTE_TOO_LONG)
            return _refused_with(request, runtime, actor, part_id, data, why)
        try:
            unfiled.reject(runtime, part_id, unfiled.RejectRequest(note=note), actor)
        except DossierError as exc:
            return _refused(request, runtime, actor, part_id, data, exc)
        return Redirect("/scans?done=rejected", status_code=303)

    @post("/scans/quarantine/{item_id:str}/retry", name="pages:scan-retry", sync_to_thread=True)
    def retry_one(self, item_id: ItemId, runtime: Runtime, actor: CurrentActor) -> Redirect:
        try:
            retry.retry(runtime, item_id, actor)
        except NotFound as exc:
            raise NotFoundException(str(exc)) from None
        return Redirect("/scans?done=retried", status_code=303)


def _scan_page(
    request: Request[Any, Any, Any],
    runtime: Any,
    actor: Actor,
    part_id: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    try:
        item = unfiled.find(runtime, part_id)
    except NotFound as exc:
        raise NotFoundException(str(exc)) from None
    q = values.get("q", "").strip()
    found: list[Any] = []
    if q:
        f = DossierFilter(q=q, now=to_utc_iso(utc_now()), limit=10, offset=0)
        found, _ = dossier_store.query(runtime.db.read(), f)
    return staff_page(
        request,
        "scan.html",
        actor=actor,
        status_code=status_code,
        item=item,
        found=found,
        values=values,
        errors=errors or {},
        previewable=PREVIEWABLE,
        reasons=REASONS,
    )


def _refused(
    request: Request[Any, Any, Any],
    runtime: Any,
    actor: Actor,
    part_id: str,
    data: dict[str, str],
    exc: DossierError,
) -> Template:
    return _refused_with(request, runtime, actor, part_id, data, explain(exc))


def _refused_with(
    request: Request[Any, Any, Any],
    runtime: Any,
    actor: Actor,
    part_id: str,
    data: dict[str, str],
    why: tuple[int, str, str],
) -> Template:
    status_code, field, text = why
    _ = page_translator(request)
    values = {k: v for k, v in data.items() if k in {"q", "dossier_code", "note"}}
    return _scan_page(request, runtime, actor, part_id, values, {field: _(text)}, status_code)
