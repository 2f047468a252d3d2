"""The satisfaction rating on the office's tablet or kiosk (đánh giá mức độ hài lòng),
``/rating`` on the node: public like the lookup, by code and PIN, rate-limited the same way
(one limiter for both pages, so alternating them gives a guesser nothing).

The rating is an event in the node's log (``dossier_service.rate``), so it works with the
link down and reaches the city with the next replication. POST without a CSRF token: the
auth middleware takes a public POST only from a page of the node itself (``Origin``).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from node import dossier_service
from node.runtime import NodeRuntime
from rules.errors import DossierError
from rules.lookup_pin import LookupRefused
from rules.ratings import LEVEL_LABELS_VI, MAX_COMMENT, RatingRefused
from web.page_kit.rendering import page
from web.public_pages.client_address import client_address
from web.public_pages.lookup_form import LookupInput, read_lookup_input
from web.public_pages.lookup_page import NO_STORE, NOT_FOUND_VI, Limiter, too_many_requests

Runtime = NamedDependency[NodeRuntime]
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

REFUSALS_VI = {
    "not_returned": (
        "Hồ sơ chưa trả kết quả. Ông/bà đánh giá được sau khi đã nhận kết quả giải quyết."
    ),
    "already_rated": "Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần.",
}
_FIELD_ERRORS_VI = {
    "level": "Xin chọn một mức: Rất hài lòng, Hài lòng hoặc Không hài lòng.",
    "comment": f"Ý kiến tối đa {MAX_COMMENT} ký tự, chỉ gồm chữ (không có ký tự điều khiển).",
}


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):  # the field repeated: take none of it
        return "\x00"
    return str(value)


def _form_page(
    request: Request[Any, Any, Any],
    form: LookupInput,
    *,
    level: str = "",
    comment: str = "",
    status_code: int = 200,
    refusal: str = "",
    done: bool = False,
) -> Template:
    return page(
        request,
        "public_rating.html",
        actor=None,
        status_code=status_code,
        form=form,
        levels=[(str(key), label) for key, label in LEVEL_LABELS_VI.items()],
        level=level,
        comment=comment,
        max_comment=MAX_COMMENT,
        refusal=refusal,
        done=done,
    )


class RatingPage(Controller):
    include_in_schema = False

    @get("/rating", name="public:rating", opt={"public": True}, cache_control=NO_STORE)
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        query = request.query_params
        form = read_lookup_input(query.get("code"), query.get("pin"))
        return _form_page(request, LookupInput(form.code, form.pin, {}))

    @post(
        "/rating",
        name="public:rate",
        opt={"public": True},
        sync_to_thread=True,
        cache_control=NO_STORE,
        status_code=200,
    )
    def rate(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        runtime: Runtime,
        public_limiter: Limiter,
    ) -> Template:
        address = client_address(request)
        wait = public_limiter.retry_after(address)
        if wait is not None:
            return too_many_requests(request, wait, "/rating")
        form = read_lookup_input(_text(data, "code"), _text(data, "pin"))
        level, comment = _text(data, "level"), _text(data, "comment")
        shown = comment[:MAX_COMMENT]  # what was typed, shown back on a refusal
        if form.errors:
            public_limiter.record(address, failed=False)
            return _form_page(request, form, status_code=400, level=level, comment=shown)
        try:
            dossier_service.rate(runtime, form.code, form.pin, level, comment)
        except LookupRefused:
            public_limiter.record(address, failed=True)
            refused = LookupInput(form.code, form.pin, {"pin": NOT_FOUND_VI})
            return _form_page(request, refused, status_code=404, level=level, comment=shown)
        except RatingRefused as exc:
            public_limiter.record(address, failed=False)
            refusal = REFUSALS_VI[exc.reason]
            return _form_page(
                request, form, status_code=409, refusal=refusal, level=level, comment=shown
            )
        except DossierError as exc:  # the level or the comment
            public_limiter.record(address, failed=False)
            field = exc.field or "level"
            errors = {field: _FIELD_ERRORS_VI.get(field, str(exc))}
            return _form_page(
                request,
                LookupInput(form.code, form.pin, errors),
                status_code=400,
                level=level,
                comment=shown,
            )
        public_limiter.record(address, failed=False)
        return _form_page(request, LookupInput("", "", {}), done=True)
