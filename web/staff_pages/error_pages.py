"""A failed page answers a page: the same status code as the API would give, in a small
Vietnamese (translated) page in the staff frame with a way back, never the API's JSON body.

The JSON handlers (web.json_api.errors) stay the one place that decides the status code and
the headers of each error; ``for_pages`` wraps them so a request under ``/api/`` gets their
answer unchanged, and any other path gets the same status and headers with an HTML body.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from litestar import Request, Response
from litestar.types import ExceptionHandler, ExceptionHandlersMap

from web.page_kit.i18n import vi
from web.page_kit.rendering import NavItem, page
from web.staff_pages.navigation import STAFF_NAV
from web.staff_pages.page_errors import ILLEGAL

log = logging.getLogger(__name__)
API_PREFIX = "/api/"
# The folder of error.html, for an app that mounts no other staff page (the city's).
ERROR_TEMPLATES = Path(__file__).parent / "templates"
# The API answer's headers a page keeps (when to retry, the id of a logged defect, 405's Allow).
_SHOWN_HEADERS = ("retry-after", "x-request-id", "allow")

TITLES: dict[int, str] = {
    400: vi("Yêu cầu không hợp lệ"),
    403: vi("Không có quyền"),
    404: vi("Không tìm thấy trang"),
    405: vi("Thao tác không được hỗ trợ"),
    409: vi("Không thực hiện được ở trạng thái hiện tại"),
    413: vi("Dữ liệu gửi lên quá lớn"),
    503: vi("Tạm thời chưa thực hiện được"),
    507: vi("Ổ đĩa của máy chủ đã đầy"),
}
EXPLANATIONS: dict[int, str] = {
    400: vi("Địa chỉ hoặc dữ liệu gửi lên có mục không hợp lệ. Hãy quay lại và thử lại."),
    403: vi("Vai trò của bạn không được xem trang này hoặc thực hiện thao tác này."),
    404: vi("Không có trang hoặc hồ sơ nào ở địa chỉ này. Hãy tìm trong danh sách hồ sơ."),
    405: vi("Địa chỉ này không nhận thao tác vừa gửi."),
    409: ILLEGAL,
    413: vi("Tệp hoặc dữ liệu gửi lên vượt quá dung lượng cho phép."),
    503: vi("Máy chủ tạm thời chưa thực hiện được việc này. Hãy thử lại sau ít phút."),
    507: vi(
        "Ổ đĩa của máy chủ đã đầy nên việc vừa làm chưa được lưu. Những gì đã lưu trước đó "
        "vẫn an toàn. Hãy báo bộ phận kỹ thuật giải phóng dung lượng rồi thử lại."
    ),
}
UNEXPECTED_TITLE = vi("Đã xảy ra lỗi")
UNEXPECTED = vi(
    "Máy chủ gặp lỗi ngoài dự kiến; việc vừa làm có thể chưa được lưu. "
    "Hãy báo quản trị viên kèm mã lỗi dưới đây."
)


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


def for_pages(
    handlers: ExceptionHandlersMap, nav: Sequence[NavItem] = STAFF_NAV
) -> ExceptionHandlersMap:
    """``handlers`` with each answer outside ``/api/`` turned into an HTML page (in the
    frame with the menu ``nav``: the staff's, or the city's)."""
    return {exc: _page_or_json(handler, nav) for exc, handler in handlers.items()}


def _page_or_json(handler: ExceptionHandler, nav: Sequence[NavItem]) -> ExceptionHandler:  # type: ignore[type-arg]
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        answer = handler(request, exc)
        if is_api(request.url.path):
            return answer
        try:
            return error_page(request, answer, nav)
        except Exception:  # a page that cannot render must not hide the first error
            log.exception("error_page_failed path=%r", request.url.path)
            return answer

    return handle


def error_page(
    request: Request[Any, Any, Any], answer: Response[Any], nav: Sequence[NavItem] = STAFF_NAV
) -> Response[Any]:
    """The page for the JSON ``answer`` the API handlers gave: its status and headers kept."""
    status = int(answer.status_code or 500)
    body = answer.content if isinstance(answer.content, dict) else {}
    field = body.get("field") if status == 400 else None
    request_id = body.get("request_id") if status >= 500 else None
    explanation = EXPLANATIONS.get(status)
    state = request.scope.get("state", {})
    rendered = page(
        request,
        "error.html",
        actor=state.get("actor") if isinstance(state, dict) else None,
        nav=nav,
        status_code=status,
        code=status,
        title=TITLES.get(status, UNEXPECTED_TITLE),
        explanation=explanation or UNEXPECTED,
        field=str(field) if field else "",
        request_id=str(request_id) if request_id else "",
    )
    for name, value in answer.headers.items():
        if name.lower() in _SHOWN_HEADERS:
            rendered.headers[name] = value
    rendered.headers["Cache-Control"] = "no-store"
    return rendered
