"""What the citizen's public lookup shows of a dossier (tra cứu hồ sơ): the procedure, the
status in plain words, the appointment and the dated steps, and of the applicant nothing
but initials.

Built from the state and the events by this one function at the node and at the city, so
the two pages cannot differ, and so that nothing personal can slip through a template:
a step is a date and a fixed label, never an officer's name or a staff note (a note may
quote the applicant's papers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from rules.event_kinds import (
    DossierRated,
    DossierReceived,
    DossierTransitioned,
    Person,
    decode_body,
)
from rules.event_record import EventRecord
from rules.lifecycle import STATUS_LABELS_VI, Action, Status
from rules.lookup_pin import matching_index
from rules.projection import DossierState
from rules.replay import canonical_order

#: One sentence under the status saying what it means for the citizen.
STATUS_HINTS_VI: dict[Status, str] = {
    Status.SUBMITTED: "Hồ sơ nộp trực tuyến đang chờ cán bộ tiếp nhận.",
    Status.RECEIVED: "Hồ sơ đã được tiếp nhận và sẽ được chuyển xử lý.",
    Status.REFUSED: "Hồ sơ không được tiếp nhận; lý do ghi trong văn bản đã gửi ông/bà.",
    Status.PROCESSING: "Hồ sơ đang được giải quyết.",
    Status.SUPPLEMENT_REQUESTED: "Cần bổ sung giấy tờ theo phiếu yêu cầu đã gửi ông/bà.",
    Status.FEE_DUE: "Cần nộp phí, lệ phí hoặc thực hiện nghĩa vụ tài chính.",
    Status.WITHDRAWAL_ASKED: "Ông/bà đã yêu cầu rút hồ sơ.",
    Status.STOPPED: "Hồ sơ đã dừng xử lý.",
    Status.RESOLVED: "Đã có kết quả: mời ông/bà đến nhận theo ngày hẹn.",
    Status.RESULT_RETURNED: "Kết quả đã được trả cho ông/bà.",
}

_STEP_LABELS_VI: dict[str, str] = {
    Action.RECEIVE: "Tiếp nhận hồ sơ",
    Action.REFUSE: "Từ chối tiếp nhận hồ sơ",
    Action.START: "Chuyển xử lý",
    Action.REQUEST_SUPPLEMENT: "Yêu cầu bổ sung giấy tờ",
    Action.COMPLETE_SUPPLEMENT: "Đã bổ sung giấy tờ",
    Action.REQUEST_FEE: "Yêu cầu nộp phí, lệ phí",
    Action.FEE_PAID: "Đã nộp phí, lệ phí",
    Action.WITHDRAW: "Yêu cầu rút hồ sơ",
    Action.STOP: "Dừng xử lý",
    Action.RESOLVE: "Đã xử lý xong",
    Action.RETURN_RESULT: "Đã trả kết quả",
    Action.RESCHEDULE: "Hẹn lại ngày trả kết quả",
}


class PublicStep(msgspec.Struct, frozen=True):
    at: str  # UTC ISO; shown in office time
    label: str  # Vietnamese, fixed text
    due_at: str | None = None  # a new appointment the step set


class PublicProgress(msgspec.Struct, frozen=True):
    code: str
    procedure_code: str
    procedure_name: str
    status: int
    status_label: str
    status_hint: str
    applicant_initials: str  # "N.V.A."
    received_at: str | None
    due_at: str | None  # the appointment (ngày hẹn trả)
    provisional: bool  # the appointment awaits a year's holiday calendar
    steps: list[PublicStep]
    returned: bool  # the result was returned: it may be rated (at the node)
    rated: bool


def initials(full_name: str) -> str:
    """'Nguyễn Văn An' -> 'N.V.A.'; "" for a blank name."""
    letters = [word[0].upper() for word in full_name.split() if word[:1].isalpha()]
    return "".join(f"{letter}." for letter in letters)


def _step(record: EventRecord) -> PublicStep | None:
    body = decode_body(record.body)
    match body:
        case DossierReceived():
            # When it was received or submitted: a paper dossier entered later shows the
            # day it reached the counter, as its receipt (form 01) and the state say.
            label = "Tiếp nhận hồ sơ" if body.received_at else "Nộp hồ sơ trực tuyến"
            at = body.received_at or body.submitted_at or record.recorded_at
            return PublicStep(at, label, body.due_at)
        case DossierTransitioned():
            label = _STEP_LABELS_VI.get(body.action, "Cập nhật hồ sơ")
            return PublicStep(body.at or record.recorded_at, label, body.due_at)
        case DossierRated():
            return PublicStep(record.recorded_at, "Đánh giá mức độ hài lòng")
    return None  # documents and PINs: staff matters, not steps of the procedure


def public_progress(state: DossierState, events: Iterable[EventRecord]) -> PublicProgress:
    steps = [step for record in canonical_order(events) if (step := _step(record))]
    status = Status(state.status)
    return PublicProgress(
        code=state.code,
        procedure_code=state.procedure_code,
        procedure_name=state.procedure_name,
        status=int(status),
        status_label=STATUS_LABELS_VI[status],
        status_hint=STATUS_HINTS_VI[status],
        applicant_initials=initials(state.applicant.full_name),
        received_at=state.received_at,
        due_at=state.due_at,
        provisional=bool(state.provisional_years),
        steps=steps,
        returned=status == Status.RESULT_RETURNED,
        rated=state.rating is not None,
    )


# A state of a typical size, decoded when a code names no dossier: the lookup then does
# the work of reading one (as a wrong PIN does) before it compares a PIN and refuses.
_DECOY_STATE = msgspec.json.encode(
    DossierState(
        id="0" * 36,
        code="0" * 25,
        origin="decoy",
        procedure_code="0.000000",
        procedure_version="1",
        procedure_name="Thủ tục " * 8,
        time_limit=5,
        time_unit="working_days",
        applicant=Person("Nguyễn Văn " * 3, "0" * 12, "0" * 10, "Xã " * 10),
        proxy=None,
        channel="in_person",
        components=["Tờ khai"] * 3,
        status=2,
        submitted_at="2026-01-01T00:00:00Z",
        received_at="2026-01-01T00:00:00Z",
        due_at="2026-01-08T00:00:00Z",
        statutory_due_at="2026-01-08T00:00:00Z",
    )
)
_state_decoder = msgspec.json.Decoder(DossierState)


def matching_dossier(candidates: Sequence[DossierState], pin: str) -> DossierState | None:
    """The candidate (the dossiers found by the code) whose PIN is ``pin``, or None; the
    same work whether the code named no dossier or the PIN is wrong."""
    pins = [state.lookup_pin for state in candidates]
    if not candidates:
        _state_decoder.decode(_DECOY_STATE)
    index = matching_index(pins, pin)
    return None if index is None else candidates[index]
