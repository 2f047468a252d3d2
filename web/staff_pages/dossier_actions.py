"""How the dossier page names the lifecycle's actions and forms, and which forms apply.

Who may take which action is not here: ``rules.permissions`` holds that one table, which the
services enforce and whose ``allowed_actions`` gives the page its buttons.
"""

from __future__ import annotations

from rules.lifecycle import Action, Status
from rules.projection import DossierState
from rules.transitions import NOTE_REQUIRED
from web.page_kit.i18n import vi

ACTION_LABELS: dict[Action, str] = {
    Action.RECEIVE: vi("Tiếp nhận hồ sơ"),
    Action.REFUSE: vi("Từ chối tiếp nhận"),
    Action.START: vi("Bắt đầu xử lý"),
    Action.REQUEST_SUPPLEMENT: vi("Yêu cầu bổ sung"),
    Action.COMPLETE_SUPPLEMENT: vi("Đã nhận bổ sung"),
    Action.REQUEST_FEE: vi("Yêu cầu nộp phí, lệ phí"),
    Action.FEE_PAID: vi("Đã nộp phí, lệ phí"),
    Action.WITHDRAW: vi("Công dân rút hồ sơ"),
    Action.STOP: vi("Dừng xử lý hồ sơ"),
    Action.RESOLVE: vi("Hoàn thành xử lý"),
    Action.RETURN_RESULT: vi("Trả kết quả"),
    Action.RESCHEDULE: vi("Hẹn lại ngày trả (mẫu 04)"),
}

FORM_LABELS: dict[str, str] = {
    "01": vi("Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "02": vi("Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "03": vi("Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    "04": vi("Mẫu 04: Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "05": vi("Mẫu 05: Thông báo về việc dừng giải quyết hồ sơ"),
}


def needs_note(action: Action) -> bool:
    return action in NOTE_REQUIRED


def applicable_forms(state: DossierState) -> list[str]:
    """The printable forms this dossier has: 01 once received; 02 after a supplement
    request; 03 after a refusal; 04 after a reschedule; 05 once stopped (only ``stop``
    leads to 8, and 8 is terminal)."""
    forms = []
    if state.received_at is not None:
        forms.append("01")
    if state.supplement_count > 0:
        forms.append("02")
    if state.status == Status.REFUSED:
        forms.append("03")
    if state.reschedule_count > 0:
        forms.append("04")
    if state.status == Status.STOPPED:
        forms.append("05")
    return forms
