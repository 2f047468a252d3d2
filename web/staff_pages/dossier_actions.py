"""Which lifecycle actions a staff member may take on a dossier now, for its buttons.

Stand-in until ``rules.permissions.allowed_actions(actor, state)`` exists on main (the access
work, branch ``auth``): the lead points the pages at it at merge and drops ``ROLE_ACTIONS``.
Until then this is the ONE table of who may do what; the dossier page shows only these
buttons and refuses any other action posted to it.
"""

from __future__ import annotations

from rules.actor import Actor, Role
from rules.lifecycle import TRANSITIONS, Action, Status
from rules.projection import DossierState
from rules.transitions import NOTE_REQUIRED
from web.page_kit.i18n import vi

# After the roles: reception receives, asks for and takes supplements, returns
# results; processing processes; the leader resolves, refuses, stops and reschedules.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.RECEPTION: frozenset(
        {
            Action.RECEIVE,
            Action.REQUEST_SUPPLEMENT,
            Action.COMPLETE_SUPPLEMENT,
            Action.FEE_PAID,
            Action.WITHDRAW,
            Action.RETURN_RESULT,
        }
    ),
    Role.PROCESSING: frozenset({Action.START, Action.REQUEST_SUPPLEMENT, Action.REQUEST_FEE}),
    Role.LEADER: frozenset({Action.REFUSE, Action.STOP, Action.RESOLVE, Action.RESCHEDULE}),
    Role.ADMIN: frozenset(),
}

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
}


def may_take(actor: Actor, action: Action) -> bool:
    """Whether one of the actor's roles may take ``action`` (in a status where it is legal)."""
    return any(action in ROLE_ACTIONS.get(role, frozenset()) for role in actor.roles)


def allowed_actions(actor: Actor, state: DossierState) -> list[Action]:
    """The actions legal from the dossier's status that one of the actor's roles may take,
    in the lifecycle's order."""
    status = Status(state.status)
    return [
        a for a, (sources, _) in TRANSITIONS.items() if may_take(actor, a) and status in sources
    ]


def needs_note(action: Action) -> bool:
    return action in NOTE_REQUIRED


def applicable_forms(state: DossierState) -> list[str]:
    """The printable forms this dossier has: 01 once received; 02 after a supplement
    request; 03 after a refusal; 04 after a reschedule."""
    forms = []
    if state.received_at is not None:
        forms.append("01")
    if state.supplement_count > 0:
        forms.append("02")
    if state.status == Status.REFUSED:
        forms.append("03")
    if state.reschedule_count > 0:
        forms.append("04")
    return forms
