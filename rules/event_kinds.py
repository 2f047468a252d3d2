"""The payloads of the event log, one Struct per kind, as a msgspec tagged union.

Events record decisions already made (codes issued, appointments computed) so that the
projection replays them without a calendar or a catalog, identically on the node and at
the centre. Evolution: new fields get defaults and go last; never retype a field.
"""

from __future__ import annotations

import msgspec


class Person(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    full_name: str
    id_number: str = ""  # CCCD / CMND / passport number
    phone: str = ""
    address: str = ""


class DossierReceived(msgspec.Struct, frozen=True, tag="dossier_received"):
    dossier_id: str
    code: str
    procedure_code: str
    procedure_version: str
    procedure_name: str
    time_limit: int
    time_unit: str
    applicant: Person
    proxy: Person | None
    channel: str  # in_person | online | post
    components: list[str]
    status: int  # 2, or 1 for an online submission not yet received
    submitted_at: str  # UTC ISO
    received_at: str | None  # UTC ISO; None while status is 1
    due_at: str | None  # the appointment (ngày hẹn trả), UTC ISO
    # Years the appointment's count reached without their calendar: it is provisional.
    provisional_years: list[int] = msgspec.field(default_factory=list)
    same_day_cutoff: str = "15:00"  # HH:MM, for a "same_day" limit (given at "receive")
    # The citizen's PIN for the public lookup (printed on form 01; staff and the city's
    # lookup only). "" in events written before PINs existed: see LookupPinIssued.
    lookup_pin: str = ""


class DossierTransitioned(msgspec.Struct, frozen=True, tag="dossier_transitioned"):
    dossier_id: str
    action: str
    from_status: int
    to_status: int
    note: str = ""
    at: str = ""  # effective time, UTC ISO (normally the event's recorded_at)
    received_at: str | None = None  # set by "receive"
    due_at: str | None = None  # a new appointment, when this action sets one
    statutory_due_at: str | None = None  # the legal deadline, when this action moves it
    clock_remaining: int | None = None  # left when the clock stopped (days, or office seconds)
    statutory_remaining: int | None = None
    # With a new computed deadline: the years it reached without their calendar.
    provisional_years: list[int] | None = None
    # The dossier version it was decided on: the id of the dossier's last event its author
    # had folded. The fold puts it after that event whatever the clocks say (rules/replay.py);
    # None in events written before causal order, which fold by time as they always did.
    after: str | None = None


class DocumentAttached(msgspec.Struct, frozen=True, tag="document_attached"):
    dossier_id: str
    sha256: str
    size: int
    mime: str
    role: str  # component | result | supplement
    copy_kind: str  # original | certified_copy | electronic
    filename: str
    after: str | None = None  # the dossier version it was made on, as in DossierTransitioned


class LookupPinIssued(msgspec.Struct, frozen=True, tag="lookup_pin_issued"):
    """A lookup PIN for a dossier received before PINs were issued at reception (it is
    issued once, when its form 01 is first printed)."""

    dossier_id: str
    pin: str
    after: str | None = None  # the dossier version it was made on, as in DossierTransitioned


class DossierRated(msgspec.Struct, frozen=True, tag="dossier_rated"):
    """The citizen's satisfaction rating (đánh giá mức độ hài lòng): once per dossier, after
    its result was returned (rules/ratings.py says what is valid)."""

    dossier_id: str
    level: str  # rules.ratings.RatingLevel
    comment: str = ""  # plain text, at most rules.ratings.MAX_COMMENT characters
    # The officer who returned the result (the return event's actor), so the indicators can
    # count ratings per officer without reading the log again.
    returned_by: str = ""
    after: str | None = None  # the dossier version it was made on, as in DossierTransitioned


class ProcedureUpserted(msgspec.Struct, frozen=True, tag="procedure_upserted"):
    code: str
    version: str
    name: str
    field: str
    time_limit: int
    time_unit: str
    online_level: str
    components: list[str]
    sample: bool = False
    same_day_cutoff: str = "15:00"  # HH:MM: received at or after it, the next working day


class CalendarDaySet(msgspec.Struct, frozen=True, tag="calendar_day_set"):
    date: str  # YYYY-MM-DD
    kind: str  # holiday | workday
    name: str


EventBody = (
    DossierReceived
    | DossierTransitioned
    | DocumentAttached
    | LookupPinIssued
    | DossierRated
    | ProcedureUpserted
    | CalendarDaySet
)
DossierEvent = (
    DossierReceived | DossierTransitioned | DocumentAttached | LookupPinIssued | DossierRated
)
#: The kinds a dossier's projection folds, for ``isinstance`` checks.
DOSSIER_EVENT_TYPES = (
    DossierReceived,
    DossierTransitioned,
    DocumentAttached,
    LookupPinIssued,
    DossierRated,
)
#: Dossier events made on an earlier version of their dossier (they name it in ``after``).
FollowingEvent = DossierTransitioned | DocumentAttached | LookupPinIssued | DossierRated

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(EventBody)


def kind_of(body: EventBody) -> str:
    return str(type(body).__struct_config__.tag)


def encode_body(body: EventBody) -> bytes:
    return _encoder.encode(body)


def decode_body(raw: bytes) -> EventBody:
    """Raises msgspec.DecodeError (a ValidationError for wrong shapes) on a bad body."""
    try:
        body: EventBody = _decoder.decode(raw)
    except UnicodeDecodeError as exc:  # msgspec lets non-UTF-8 escape this way
        raise msgspec.DecodeError(f"event body is not UTF-8: {exc}") from exc
    return body
