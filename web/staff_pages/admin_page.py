"""The administration page (``/admin``, administrators only): the way to the accounts and
settings pages, and catalog and calendar import with a preview of what changes before it is applied
(``node.reference_import``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from node import reference_import
from node.reference_import import ImportRefused, Kind
from rules.actor import Actor, Role
from rules.errors import NotFound
from web.json_api.identity import CurrentActor
from web.page_kit.i18n import vi
from web.page_kit.request_context import page_translator
from web.staff_pages.dossier_list import Runtime
from web.staff_pages.navigation import staff_page

KindParam = Annotated[str, PathParameter(pattern=r"^[a-z]{1,20}$")]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
KIND_LABELS = {"catalog": vi("Danh mục thủ tục"), "calendar": vi("Lịch nghỉ lễ, ngày làm bù")}
REFUSALS = {
    "file_missing": (422, vi("Chọn một tệp để tải lên.")),
    "file_empty": (422, vi("Tệp rỗng, không có nội dung.")),
    "file_too_large": (413, vi("Tệp lớn quá 1 MB; tệp danh mục hay lịch thường chỉ vài kB.")),
    "file_invalid": (422, vi("Tệp không hợp lệ, chưa nhập gì. Sửa tệp theo chi tiết bên dưới.")),
    "stale_preview": (
        409,
        vi("Dữ liệu đã thay đổi từ lúc xem trước (có người vừa nhập). Tải tệp lên lại để xem."),
    ),
    "not_staged": (
        409,
        vi("Không còn tệp đã xem trước (đã nhập rồi hoặc quá một ngày). Tải tệp lên lại."),
    ),
}
# The preview words the files' machine values (node.reference_import.Entry) for its reader.
DAY_KINDS = {"holiday": vi("Ngày nghỉ lễ"), "workday": vi("Ngày làm bù")}
TIME_UNITS = {
    "working_days": vi("ngày làm việc"),
    "calendar_days": vi("ngày lịch"),
    "working_hours": vi("giờ làm việc"),
}
DONE = {
    "catalog": vi("Đã nhập danh mục thủ tục"),
    "calendar": vi("Đã nhập lịch nghỉ lễ"),
}


def require_admin(actor: Actor) -> Actor:
    """``actor``, or 403 unless an administrator: every /admin page's first check."""
    if not actor.may(Role.ADMIN):
        raise PermissionDeniedException("administrators only")
    return actor


def _kind(kind: str) -> Kind:
    if kind not in reference_import.KINDS:
        raise NotFoundException(f"no import of {kind!r}")
    return kind  # type: ignore[return-value]


class AdminPage(Controller):
    include_in_schema = False

    @get("/admin", name="pages:admin")
    async def show(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        done: Annotated[str, QueryParameter(max_length=20)] = "",
        changed: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> Template:
        return _page(request, require_admin(actor), done=DONE.get(done, ""), changed=changed)

    @post("/admin/import/{kind:str}", name="pages:admin-preview")
    async def preview(
        self,
        request: Request[Any, Any, Any],
        kind: KindParam,
        data: Upload,
        runtime: Runtime,
        actor: CurrentActor,
    ) -> Template:
        require_admin(actor)
        which = _kind(kind)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _refused(request, actor, which, "file_missing")
        content = await upload.read(reference_import.MAX_IMPORT_BYTES + 1)
        try:
            result = await anyio.to_thread.run_sync(
                reference_import.preview, runtime, which, content, upload.filename
            )
        except ImportRefused as exc:
            return _refused(request, actor, which, exc.field or "file_invalid", str(exc))
        return staff_page(
            request,
            "admin_preview.html",
            actor=actor,
            preview=result,
            kind_label=KIND_LABELS[which],
            day_kinds=DAY_KINDS,
            time_units=TIME_UNITS,
        )

    @post("/admin/import/{kind:str}/confirm", name="pages:admin-confirm", sync_to_thread=True)
    def confirm(
        self,
        request: Request[Any, Any, Any],
        kind: KindParam,
        data: Form,
        runtime: Runtime,
        actor: CurrentActor,
    ) -> Response[Any]:
        require_admin(actor)
        which = _kind(kind)
        try:
            done = reference_import.confirm(
                runtime, which, str(data.get("sha256", "")), str(data.get("digest", "")), actor
            )
        except ImportRefused as exc:
            return _refused(request, actor, which, exc.field or "stale_preview")
        except NotFound:
            return _refused(request, actor, which, "not_staged")
        changed = len(done.added) + len(done.changed)
        return Redirect(f"/admin?{urlencode({'done': which, 'changed': changed})}", status_code=303)


def _page(request: Request[Any, Any, Any], actor: Actor, **context: Any) -> Template:
    context.setdefault("errors", {})
    context.setdefault("detail", "")
    context.setdefault("done", "")
    context.setdefault("changed", 0)
    return staff_page(request, "admin.html", actor=actor, kind_labels=KIND_LABELS, **context)


def _refused(
    request: Request[Any, Any, Any], actor: Actor, kind: Kind, why: str, detail: str = ""
) -> Template:
    status_code, text = REFUSALS.get(why, REFUSALS["file_invalid"])
    _ = page_translator(request)
    return _page(
        request,
        actor,
        errors={f"{kind}-file": _(text)},
        detail=detail if why == "file_invalid" else "",
        status_code=status_code,
    )
