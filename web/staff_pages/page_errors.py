"""Service errors in the staff's words.

Services raise English messages with the input they are about (``DossierError(message,
field)``); the pages map the FIELD, a stable name, to a Vietnamese sentence here, so a
reworded English message never changes the page. An error without a known field (a refusal
a page cannot foresee, e.g. a node whose clock is known to be wrong) is shown as the
service worded it, after a Vietnamese lead-in.
"""

from __future__ import annotations

from rules.errors import DossierError
from rules.lifecycle import IllegalTransition
from storage.blob_store import BlobTooLarge
from web.json_api.errors import UploadError
from web.page_kit.i18n import Translate, vi

_PERSON = {
    "full_name": vi("Nhập họ và tên (tối đa 200 ký tự)."),
    "id_number": vi("Số giấy tờ tùy thân chỉ gồm chữ và số, tối đa 20 ký tự."),
    "phone": vi("Số điện thoại chỉ gồm chữ số và các dấu + ( ) . -, tối đa 20 ký tự."),
    "address": vi("Địa chỉ tối đa 500 ký tự."),
}

FIELD_MESSAGES: dict[str, str] = {
    "procedure_code": vi("Chọn một thủ tục có trong danh mục."),
    "channel": vi("Chọn kênh nộp hồ sơ."),
    "components": vi("Thành phần hồ sơ: tối đa 100 mục, mỗi mục tối đa 200 ký tự."),
    "received_at": vi("Thời điểm nhận không hợp lệ."),
    "note": vi("Nhập lý do: lý do được in trên phiếu gửi công dân."),
    "due_at": vi("Nhập ngày hẹn mới, sau thời điểm hiện tại và sau ngày hẹn đang có."),
    "file": vi("Chọn một tệp không rỗng, trong giới hạn dung lượng cho phép."),
    "role": vi("Chọn loại tài liệu: thành phần, kết quả hoặc bổ sung."),
    "copy_kind": vi("Chọn loại bản: bản chính, bản sao chứng thực hoặc bản điện tử."),
    **{f"applicant.{k}": v for k, v in _PERSON.items()},
    **{f"proxy.{k}": v for k, v in _PERSON.items()},
}
TOO_LARGE = vi("Tệp vượt quá dung lượng cho phép.")
ILLEGAL = vi("Thao tác này không thực hiện được ở trạng thái hiện tại của hồ sơ.")
FORBIDDEN = vi("Vai trò của bạn không được thực hiện thao tác này.")
UNFORESEEN = vi("Không thực hiện được")
GENERAL = "_general"  # the key of an error that belongs to no field


def explain(exc: Exception, translate: Translate) -> tuple[str, str]:
    """(field, message for the page) for an error a service or the upload raised."""
    if isinstance(exc, IllegalTransition):
        return "action", translate(ILLEGAL)
    if isinstance(exc, BlobTooLarge):
        return "file", translate(TOO_LARGE)
    field = getattr(exc, "field", None) if isinstance(exc, DossierError | UploadError) else None
    if field in FIELD_MESSAGES:
        return str(field), translate(FIELD_MESSAGES[str(field)])
    return GENERAL, f"{translate(UNFORESEEN)}: {exc}"
