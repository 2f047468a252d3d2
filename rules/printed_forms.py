"""Which event each printed form (Circular 01/2018/TT-VPCP, Mẫu 01-04; Mẫu 05 is Circular
03/2025/TT-VPCP's, which replaced it) prints, and the dossier as it stood then.

A form is drawn from the log, never from the dossier's current state or the clock, so a
reprint shows what the first print showed, whatever happened since:

- 01 receipt and appointment slip: the reception (``dossier_received`` at status 2, or the
  ``receive`` of an online dossier), with the appointment given then;
- 02 supplement request: the last ``request_supplement``, its note the items to supplement;
- 03 refusal: the ``refuse`` (terminal, so there is one), its note the reason;
- 04 apology and new appointment: the last ``reschedule``, its note the reason for the
  delay, with the appointment it replaced and the new one;
- 05 stop notice: the ``stop`` into status 8 (from 5, a supplement that never came; from 6,
  a fee never paid; from 7, a withdrawal), terminal, so there is one; its note the reason.

A form with no such event does not apply (None). The lookup PIN is the one exception to
"as it stood then": it is the dossier's PIN, which may have been issued after reception
(for dossiers received before PINs existed) and never changes once issued.
"""

from __future__ import annotations

import enum

import msgspec

from rules.event_kinds import DOSSIER_EVENT_TYPES, DossierReceived, DossierTransitioned, decode_body
from rules.event_record import EventRecord
from rules.lifecycle import Action, Status
from rules.projection import DossierState, apply
from rules.replay import canonical_order


class FormNumber(enum.StrEnum):
    RECEIPT = "01"
    SUPPLEMENT = "02"
    REFUSAL = "03"
    APOLOGY = "04"
    STOP = "05"


_ACTION_OF = {
    FormNumber.SUPPLEMENT: Action.REQUEST_SUPPLEMENT,
    FormNumber.REFUSAL: Action.REFUSE,
    FormNumber.APOLOGY: Action.RESCHEDULE,
    FormNumber.STOP: Action.STOP,
}


class PrintedForm(msgspec.Struct, frozen=True):
    number: FormNumber
    state: DossierState  # the dossier just after the printed event
    event_id: str
    at: str  # when the event took effect (UTC ISO): the form's date
    actor: str  # who recorded it
    # 02: the items to supplement; 03, 05: the reason; 04: the reason for the delay
    note: str = ""
    previous_due_at: str | None = None  # 04: the appointment the new one replaces
    lookup_pin: str = ""  # the dossier's PIN (01)


def _is_reception(body: object) -> bool:
    if isinstance(body, DossierReceived):
        return body.status == Status.RECEIVED
    return isinstance(body, DossierTransitioned) and body.action == Action.RECEIVE


def _prints(number: FormNumber, body: object) -> bool:
    if number is FormNumber.RECEIPT:
        return _is_reception(body)
    return isinstance(body, DossierTransitioned) and body.action == _ACTION_OF[number]


def printed_form(records: list[EventRecord], number: FormNumber) -> PrintedForm | None:
    """The form ``number`` for the dossier whose events are ``records`` (any order), or None
    where it does not apply."""
    state: DossierState | None = None
    found: PrintedForm | None = None
    for record in canonical_order(records):
        body = decode_body(record.body)
        if not isinstance(body, DOSSIER_EVENT_TYPES):
            continue
        before = None if state is None else state.due_at
        state = apply(
            state, body, origin=record.origin, event_id=record.id, recorded_at=record.recorded_at
        )
        if not _prints(number, body) or (number is FormNumber.RECEIPT and found is not None):
            continue
        # The state is mutated by later events: the form keeps its own copy.
        snapshot = msgspec.json.decode(msgspec.json.encode(state), type=DossierState)
        at, note = record.recorded_at, ""
        if isinstance(body, DossierReceived):
            at = body.received_at or at
        elif isinstance(body, DossierTransitioned):
            at, note = body.at or at, body.note
        found = PrintedForm(
            number,
            snapshot,
            record.id,
            at,
            record.actor,
            note=note,
            previous_due_at=before if number is FormNumber.APOLOGY else None,
        )
    if found is None or state is None:
        return None
    return msgspec.structs.replace(found, lookup_pin=state.lookup_pin)
