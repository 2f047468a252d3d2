"""A stand-in commune node for the city's tests: real event bodies, real wire messages.

It keeps its own dense log like a node (seq per origin, recorded_at increasing) but no
database, so tests can build batches, gaps, repeats and hostile variants precisely.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import uuid6

from rules.clock import to_utc_iso
from rules.event_kinds import (
    CalendarDaySet,
    DocumentAttached,
    DossierReceived,
    DossierTransitioned,
    EventBody,
    Person,
    encode_body,
    kind_of,
)
from rules.event_record import EVENT_FORMAT, EventRecord
from rules.reference_streams import CALENDAR_STREAM
from sync import topics, wire
from sync.topics import Lane

T0 = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội, a Monday


class FakeNode:
    def __init__(self, node_id: str, start: datetime = T0) -> None:
        self.node_id = node_id
        self.log: list[EventRecord] = []
        self.clock = start
        self.session = to_utc_iso(start)
        self.serial = 0

    def _append(self, stream: str, body: EventBody) -> EventRecord:
        self.clock += timedelta(seconds=1)
        record = EventRecord(
            origin=self.node_id,
            seq=len(self.log) + 1,
            id=str(uuid6.uuid7()),
            stream=stream,
            kind=kind_of(body),
            recorded_at=to_utc_iso(self.clock),
            actor="staff-1",
            format=EVENT_FORMAT,
            body=encode_body(body),
        )
        self.log.append(record)
        return record

    def receive(
        self,
        name: str = "Nguyễn Văn Đức",
        channel: str = "in_person",
        provisional_years: list[int] | None = None,
    ) -> str:
        """A received dossier (status 2, due in a week; online: status 1); returns its id."""
        self.serial += 1
        dossier_id = str(uuid6.uuid7())
        at = to_utc_iso(self.clock)
        online = channel == "online"
        body = DossierReceived(
            dossier_id=dossier_id,
            code=f"000.00.15.H42-270201-{self.serial:04}",
            procedure_code="1.000894",
            procedure_version="2025.1",
            procedure_name="Đăng ký kết hôn",
            time_limit=5,
            time_unit="working_days",
            applicant=Person(name, "001099012345", "0912345678", "Thôn 1"),
            proxy=None,
            channel=channel,
            components=["Tờ khai"],
            status=1 if online else 2,
            submitted_at=at,
            received_at=None if online else at,
            due_at=None if online else to_utc_iso(self.clock + timedelta(days=7)),
            provisional_years=provisional_years or [],
        )
        self._append(dossier_id, body)
        return dossier_id

    def transition(self, dossier_id: str, action: str, from_status: int, to_status: int) -> None:
        body = DossierTransitioned(
            dossier_id, action, from_status, to_status, note="", at=to_utc_iso(self.clock)
        )
        self._append(dossier_id, body)

    def attach(self, dossier_id: str, data: bytes, role: str = "component") -> str:
        sha = hashlib.sha256(data).hexdigest()
        body = DocumentAttached(
            dossier_id, sha, len(data), "application/pdf", role, "original", "scan.pdf"
        )
        self._append(dossier_id, body)
        return sha

    def holiday(self, day: str, name: str = "Nghỉ bù") -> None:
        self._append(CALENDAR_STREAM, CalendarDaySet(day, "holiday", name))

    # -- wire -------------------------------------------------------------------------------

    def batch(self, first: int, last: int) -> tuple[str, bytes]:
        """Events ``first..last`` (1-based, inclusive) as an EventBatch on up/events."""
        events = self.log[first - 1 : last]
        return self.up(Lane.EVENTS, wire.EventBatch(self.node_id, first, events))

    def birth(self, session: str | None = None, acked: int = 0) -> tuple[str, bytes]:
        """The Birth of a node whose log the city acknowledged up to ``acked``."""
        started = session or self.session
        birth = wire.Birth(self.node_id, started, len(self.log), "0.1.0", acked_seq=acked)
        return self.up(Lane.CONTROL, birth)

    def up(self, lane: Lane, message: wire.Message) -> tuple[str, bytes]:
        return topics.up(self.node_id, lane), wire.encode(message)
