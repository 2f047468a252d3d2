"""A dossier's events as the lines of its timeline: what, who, when, note."""

from __future__ import annotations

import msgspec

from rules.event_kinds import DocumentAttached, DossierReceived, DossierTransitioned, decode_body
from rules.event_record import EventRecord
from rules.lifecycle import STATUS_LABELS_VI, Action, Status
from web.page_kit.i18n import Translate, vi
from web.staff_pages.dossier_actions import ACTION_LABELS


class TimelineLine(msgspec.Struct, frozen=True):
    at: str  # UTC ISO; the page shows it in office time
    actor: str
    what: str  # translated
    change: str  # "from → to" status labels, translated; "" when none
    note: str  # as the staff member wrote it (escaped when rendered)
    due_at: str | None = None  # a new appointment the event set


def _status(code: int, translate: Translate) -> str:
    return translate(STATUS_LABELS_VI[Status(code)])


def timeline(events: list[EventRecord], translate: Translate) -> list[TimelineLine]:
    lines = []
    for record in events:
        body = decode_body(record.body)
        what, change, note, due = "", "", "", None
        match body:
            case DossierReceived():
                what = translate(vi("Tiếp nhận hồ sơ"))
                change = _status(body.status, translate)
                due = body.due_at
            case DossierTransitioned():
                known = body.action in Action.__members__.values()
                what = translate(ACTION_LABELS[Action(body.action)]) if known else body.action
                change = (
                    f"{_status(body.from_status, translate)} → {_status(body.to_status, translate)}"
                )
                note, due = body.note, body.due_at
            case DocumentAttached():
                what = f"{translate(vi('Đính kèm tài liệu'))}: {body.filename}"
            case _:
                continue
        lines.append(TimelineLine(body_at(record, body), record.actor, what, change, note, due))
    return lines


def body_at(record: EventRecord, body: object) -> str:
    """When it happened: a transition's effective time, a dossier's reception (or online
    submission), else when it was recorded."""
    if isinstance(body, DossierTransitioned) and body.at:
        return body.at
    if isinstance(body, DossierReceived):
        return body.received_at or body.submitted_at or record.recorded_at
    return record.recorded_at
