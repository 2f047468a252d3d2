"""What the scan services refuse, said to staff in Vietnamese.

The services raise English messages with a field (``DossierError(message, field)``); the page
picks its text by the error's class and field, so a reworded English message changes nothing
here, and an error not listed still shows a general Vietnamese text with its field.
"""

from __future__ import annotations

from rules.errors import DossierError, NotFound
from scanner_ingest.unfiled import AlreadyDecided
from web.page_kit.i18n import vi

ALREADY_DECIDED = vi("Bản quét này đã được người khác gán hoặc từ chối. Tải lại danh sách để xem.")
NO_SUCH_DOSSIER = vi("Không tìm thấy hồ sơ có mã này trên máy.")
# By the field the service names: (HTTP status, the form field to mark, the Vietnamese text).
_BY_FIELD: dict[str, tuple[int, str, str]] = {
    "dossier_id": (
        422,
        "dossier_code",
        vi("Chọn một hồ sơ trong kết quả tìm, hoặc nhập mã hồ sơ."),
    ),
    "note": (422, "note", vi("Nhập lý do từ chối (không được để trống).")),
}
_GENERAL = vi("Không thực hiện được với hồ sơ này.")


def explain(exc: DossierError) -> tuple[int, str, str]:
    """(status, field, Vietnamese text) for a refusal of assign or reject."""
    if isinstance(exc, AlreadyDecided):
        return 409, "scan", ALREADY_DECIDED
    if isinstance(exc, NotFound):
        return 404, "dossier_code", NO_SUCH_DOSSIER
    return _BY_FIELD.get(exc.field or "", (422, "dossier_code", _GENERAL))
