"""The appointment a dossier gets at reception, computed one way for saving and for showing.

``dossier_service.receive`` records what :func:`appointment_for` gives; the reception page
shows :func:`preview_due` before saving, so the date on the screen is the date on the slip.
"""

from __future__ import annotations

from datetime import datetime

import apsw
import msgspec

from node.reference_data import Procedure
from node.runtime import NodeRuntime
from rules.due_dates import TimeUnit, compute_due, parse_cutoff, provisional_years
from rules.errors import DossierError


class Appointment(msgspec.Struct, frozen=True):
    due_at: datetime | None  # None for an online submission: counted when it is received
    # Years the count reached without their calendar: the date is provisional.
    provisional_years: list[int]


class DuePreview(msgspec.Struct, frozen=True):
    procedure: Procedure
    appointment: Appointment


def appointment_for(
    rt: NodeRuntime, conn: apsw.Connection, procedure: Procedure, moment: datetime, online: bool
) -> Appointment:
    if online:
        return Appointment(None, [])
    cal = rt.reference.calendar(conn)
    due = compute_due(
        cal,
        moment,
        procedure.time_limit,
        TimeUnit(procedure.time_unit),
        parse_cutoff(procedure.same_day_cutoff),
    )
    # A count into a year with no calendar still gives the citizen an appointment (they are
    # at the counter), recorded as provisional until that year's calendar is imported.
    return Appointment(due, provisional_years(cal, moment, due))


def current_procedure(rt: NodeRuntime, conn: apsw.Connection, code: str) -> Procedure:
    procedure = rt.reference.procedure(conn, code)
    if procedure is None:
        raise DossierError(
            f"unknown procedure {code!r}; import the catalog first", "procedure_code"
        )
    return procedure


def preview_due(rt: NodeRuntime, procedure_code: str, channel: str, now: datetime) -> DuePreview:
    """What receiving a dossier of ``procedure_code`` at ``now`` would give; writes nothing."""
    conn = rt.db.read()
    procedure = current_procedure(rt, conn, procedure_code)
    return DuePreview(procedure, appointment_for(rt, conn, procedure, now, channel == "online"))
