"""Dossier statuses (national portal codes 1-10) and the actions that move between them."""

from __future__ import annotations

import enum


class Status(enum.IntEnum):
    SUBMITTED = 1  # Mới đăng ký
    RECEIVED = 2  # Được tiếp nhận
    REFUSED = 3  # Không được tiếp nhận
    PROCESSING = 4  # Đang xử lý
    SUPPLEMENT_REQUESTED = 5  # Yêu cầu bổ sung giấy tờ
    FEE_DUE = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWAL_ASKED = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    RESOLVED = 9  # Đã xử lý xong
    RESULT_RETURNED = 10  # Đã trả kết quả


STATUS_LABELS_VI: dict[Status, str] = {
    Status.SUBMITTED: "Mới đăng ký",
    Status.RECEIVED: "Được tiếp nhận",
    Status.REFUSED: "Không được tiếp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    Status.FEE_DUE: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWAL_ASKED: "Công dân yêu cầu rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.RESOLVED: "Đã xử lý xong",
    Status.RESULT_RETURNED: "Đã trả kết quả",
}

TERMINAL = frozenset({Status.REFUSED, Status.STOPPED, Status.RESULT_RETURNED})
# The processing end: the first of these reached (on-time is judged at that moment).
PROCESSING_END = frozenset(
    {Status.REFUSED, Status.STOPPED, Status.RESOLVED, Status.RESULT_RETURNED}
)

# Decision 766/QĐ-TTg also ends processing at a withdrawal (see docs/indicators.md).
NATIONAL_END = PROCESSING_END | {Status.WITHDRAWAL_ASKED}


class Action(enum.StrEnum):
    RECEIVE = "receive"
    REFUSE = "refuse"
    START = "start"
    REQUEST_SUPPLEMENT = "request_supplement"
    COMPLETE_SUPPLEMENT = "complete_supplement"
    REQUEST_FEE = "request_fee"
    FEE_PAID = "fee_paid"
    WITHDRAW = "withdraw"
    STOP = "stop"
    RESOLVE = "resolve"
    RETURN_RESULT = "return_result"
    RESCHEDULE = "reschedule"  # form 04: apology and a new appointment; status unchanged


_S = Status
# action -> (statuses it may start from, status it leads to); None keeps the status.
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.RECEIVE: (frozenset({_S.SUBMITTED}), _S.RECEIVED),
    # At reception (1), when a supplement never came (5), or after review when the dossier is
    # not eligible on the merits (2, 4: Decree 61/2018 art. 19, returned with a written notice
    # saying why). All print form 03 and end at 3; see docs/lifecycle.md.
    Action.REFUSE: (
        frozenset({_S.SUBMITTED, _S.RECEIVED, _S.PROCESSING, _S.SUPPLEMENT_REQUESTED}),
        _S.REFUSED,
    ),
    Action.START: (frozenset({_S.RECEIVED}), _S.PROCESSING),
    # From 1: an online dossier found incomplete before it is accepted (no clock runs yet).
    Action.REQUEST_SUPPLEMENT: (
        frozenset({_S.SUBMITTED, _S.RECEIVED, _S.PROCESSING}),
        _S.SUPPLEMENT_REQUESTED,
    ),
    Action.COMPLETE_SUPPLEMENT: (frozenset({_S.SUPPLEMENT_REQUESTED}), _S.PROCESSING),
    Action.REQUEST_FEE: (frozenset({_S.RECEIVED, _S.PROCESSING}), _S.FEE_DUE),
    Action.FEE_PAID: (frozenset({_S.FEE_DUE}), _S.PROCESSING),
    Action.WITHDRAW: (
        frozenset({_S.RECEIVED, _S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.FEE_DUE}),
        _S.WITHDRAWAL_ASKED,
    ),
    # From 6: the financial obligation was never met.
    Action.STOP: (
        frozenset({_S.WITHDRAWAL_ASKED, _S.SUPPLEMENT_REQUESTED, _S.FEE_DUE}),
        _S.STOPPED,
    ),
    Action.RESOLVE: (frozenset({_S.PROCESSING}), _S.RESOLVED),
    Action.RETURN_RESULT: (frozenset({_S.RESOLVED}), _S.RESULT_RETURNED),
    Action.RESCHEDULE: (
        frozenset(
            {_S.RECEIVED, _S.PROCESSING, _S.SUPPLEMENT_REQUESTED, _S.FEE_DUE, _S.WITHDRAWAL_ASKED}
        ),
        None,
    ),
}


class IllegalTransition(Exception):
    def __init__(self, action: Action, status: Status) -> None:
        allowed = ", ".join(str(int(s)) for s in sorted(TRANSITIONS[action][0]))
        super().__init__(
            f"action '{action}' is not allowed from status {int(status)} "
            f"({STATUS_LABELS_VI[status]}); it needs one of: {allowed}"
        )
        self.action = action
        self.status = status


def next_status(action: Action, status: Status, *, received: bool = True) -> Status:
    """The status after ``action``, or IllegalTransition.

    ``received``: whether the dossier was ever accepted. A supplement completed on a dossier
    asked for it before acceptance (1 -> 5) goes back to 1 to be received, not on to 4.
    """
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise IllegalTransition(action, status)
    if action is Action.COMPLETE_SUPPLEMENT and not received:
        return Status.SUBMITTED
    return status if target is None else target
