"""The node's procedure catalog and holiday calendar: imported as events, kept as tables.

Each imported entry is an event (``procedure_upserted``, ``calendar_day_set``, made by
``rules.reference_entries``) so that it replicates like everything else; importing adds and
updates, it never drops others.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import apsw
import msgspec

from node import event_log
from rules.actor import Actor
from rules.event_kinds import CalendarDaySet, ProcedureUpserted
from rules.permissions import Operation, require
from rules.reference_entries import (
    CalendarEntry,
    ProcedureEntry,
    calendar_event,
    procedure_event,
)
from rules.reference_streams import CALENDAR_STREAM, CATALOG_STREAM
from rules.search_text import fold
from rules.work_calendar import WorkCalendar

# The calendars and the sample catalog shipped with the node (imported by ``motcua init``).
SHIPPED_DATA = Path(__file__).resolve().parent / "data"


class Procedure(msgspec.Struct, frozen=True):
    code: str
    version: str
    name: str
    field: str
    time_limit: int
    time_unit: str
    online_level: str
    components: list[str]
    sample: bool
    current: bool
    same_day_cutoff: str = "15:00"


def apply_procedure(conn: apsw.Connection, p: ProcedureUpserted, at: str) -> None:
    """Projection of ``procedure_upserted``: the newest imported version becomes current."""
    conn.execute(
        "UPDATE procedures SET current = 0 WHERE code = ? AND version != ?", (p.code, p.version)
    )
    conn.execute(
        """
        INSERT INTO procedures (code, version, name, field, time_limit, time_unit, online_level,
                                components, sample, current, updated_at, same_day_cutoff)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
        ON CONFLICT (code, version) DO UPDATE SET
            name = excluded.name, field = excluded.field, time_limit = excluded.time_limit,
            time_unit = excluded.time_unit, online_level = excluded.online_level,
            components = excluded.components, sample = excluded.sample, current = 1,
            updated_at = excluded.updated_at, same_day_cutoff = excluded.same_day_cutoff
        """,
        (
            p.code,
            p.version,
            p.name,
            p.field,
            p.time_limit,
            p.time_unit,
            p.online_level,
            msgspec.json.encode(p.components).decode(),
            int(p.sample),
            at,
            p.same_day_cutoff,
        ),
    )


def apply_calendar_day(conn: apsw.Connection, d: CalendarDaySet) -> None:
    conn.execute(
        "INSERT INTO calendar_days (date, kind, name) VALUES (?, ?, ?) "
        "ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name",
        (d.date, d.kind, d.name),
    )


def import_catalog(
    conn: apsw.Connection, origin: str, actor: Actor, entries: list[ProcedureEntry]
) -> int:
    """Append an event per changed entry and project it; the caller holds the transaction."""
    require(actor, Operation.IMPORT_CATALOG)
    changed = 0
    for e in entries:
        body = procedure_event(e)
        existing = get_procedure(conn, e.code, e.version)
        if existing is not None and existing.current and same_procedure(existing, body):
            continue  # re-importing the same file writes nothing
        record = event_log.append(conn, origin, CATALOG_STREAM, body, actor.user_id)
        apply_procedure(conn, body, record.recorded_at)
        changed += 1
    return changed


def same_procedure(p: Procedure, b: ProcedureUpserted) -> bool:
    """Whether importing ``b`` over the stored ``p`` would change nothing."""
    mine = (p.name, p.field, p.time_limit, p.time_unit, p.online_level, p.components, p.sample)
    theirs = (b.name, b.field, b.time_limit, b.time_unit, b.online_level, b.components, b.sample)
    return mine == theirs and p.same_day_cutoff == b.same_day_cutoff


def import_calendar(
    conn: apsw.Connection, origin: str, actor: Actor, entries: list[CalendarEntry]
) -> int:
    require(actor, Operation.IMPORT_CALENDAR)
    changed = 0
    for e in entries:
        body = calendar_event(e)
        row = conn.execute(
            "SELECT kind, name FROM calendar_days WHERE date = ?", (body.date,)
        ).fetchone()
        if row is not None and tuple(row) == (body.kind, body.name):
            continue
        event_log.append(conn, origin, CALENDAR_STREAM, body, actor.user_id)
        apply_calendar_day(conn, body)
        changed += 1
    return changed


def _procedure(row: tuple[object, ...]) -> Procedure:
    code, version, name, field, limit, unit, level, components, sample, current, cutoff = row
    return Procedure(
        str(code),
        str(version),
        str(name),
        str(field),
        int(limit),  # type: ignore[call-overload]
        str(unit),
        str(level),
        msgspec.json.decode(str(components), type=list[str]),
        bool(sample),
        bool(current),
        str(cutoff),
    )


_PROC_COLS = (
    "code, version, name, field, time_limit, time_unit, online_level, components, sample, current,"
    " same_day_cutoff"
)


def get_procedure(conn: apsw.Connection, code: str, version: str | None = None) -> Procedure | None:
    if version is None:
        row = conn.execute(
            f"SELECT {_PROC_COLS} FROM procedures WHERE code = ? AND current = 1", (code,)
        ).fetchone()
    else:
        row = conn.execute(
            f"SELECT {_PROC_COLS} FROM procedures WHERE code = ? AND version = ?", (code, version)
        ).fetchone()
    return None if row is None else _procedure(row)


def list_procedures(conn: apsw.Connection, include_old: bool = False) -> list[Procedure]:
    where = "" if include_old else "WHERE current = 1"
    return [
        _procedure(r)
        for r in conn.execute(f"SELECT {_PROC_COLS} FROM procedures {where} ORDER BY field, code")
    ]


def work_calendar(conn: apsw.Connection, periods: list[tuple[dt.time, dt.time]]) -> WorkCalendar:
    days = [
        (dt.date.fromisoformat(str(d)), str(k))
        for d, k in conn.execute("SELECT date, kind FROM calendar_days")
    ]
    return WorkCalendar.from_days(days, periods)


def search_procedures(conn: apsw.Connection, query: str, limit: int = 20) -> list[Procedure]:
    """Current procedures whose code or name holds ``query``, accents and case ignored
    (``ket hon`` finds ``Đăng ký kết hôn``); all of them, up to ``limit``, for a blank query."""
    wanted = fold(query)
    found = [p for p in list_procedures(conn) if not wanted or wanted in fold(f"{p.code} {p.name}")]
    return found[:limit]
