"""The procedure catalog and the holiday calendar: imported from TOML, kept as events.

Each imported entry is an event (``procedure_upserted``, ``calendar_day_set``) so that it
replicates like everything else; importing adds and updates, it never drops others.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal, TypeVar

import apsw
import msgspec

from node import event_log
from rules.event_kinds import CalendarDaySet, ProcedureUpserted
from rules.reference_streams import CALENDAR_STREAM, CATALOG_STREAM
from rules.work_calendar import WorkCalendar

# The calendars and the sample catalog shipped with the node (imported by ``motcua init``).
SHIPPED_DATA = Path(__file__).resolve().parent / "data"

T = TypeVar("T")


class ImportFileError(Exception):
    """A catalog or calendar file is invalid; the message names the file and the entry."""


class ProcedureEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    version: str
    name: str
    field: str
    time_limit: int
    time_unit: Literal["working_days", "calendar_days", "working_hours"]
    online_level: Literal["full", "partial", "none"]
    components: list[str]
    sample: bool = False


class CatalogFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    procedure: list[ProcedureEntry]


class CalendarEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    date: dt.date
    kind: Literal["holiday", "workday"]
    name: str


class CalendarFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    day: list[CalendarEntry]
    year: int | None = None


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


def _decode(path: Path, kind: type[T]) -> T:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        tomllib.loads(raw.decode("utf-8"))  # TOML syntax errors with line numbers
        return msgspec.toml.decode(raw, type=kind)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{path}: not valid TOML: {exc}") from exc
    except msgspec.ValidationError as exc:
        raise ImportFileError(f"{path}: {exc}") from exc


def read_catalog(path: Path) -> list[ProcedureEntry]:
    entries = _decode(path, CatalogFile).procedure
    seen: set[tuple[str, str]] = set()
    for i, e in enumerate(entries):
        where = f"{path}: procedure #{i + 1} ({e.code!r})"
        if not e.code.strip() or len(e.code) > 50:
            raise ImportFileError(f"{where}: code must be 1-50 characters")
        if not e.name.strip():
            raise ImportFileError(f"{where}: name is empty")
        if e.time_limit < 0 or (e.time_unit == "working_hours" and e.time_limit == 0):
            raise ImportFileError(
                f"{where}: time_limit {e.time_limit} is not valid for {e.time_unit}"
            )
        if (e.code, e.version) in seen:
            raise ImportFileError(f"{where}: version {e.version!r} appears twice")
        seen.add((e.code, e.version))
    return entries


def read_calendar(path: Path) -> list[CalendarEntry]:
    entries = _decode(path, CalendarFile).day
    seen: set[dt.date] = set()
    for e in entries:
        if e.date in seen:
            raise ImportFileError(f"{path}: day {e.date} appears twice")
        if e.kind == "workday" and e.date.weekday() < 5:
            raise ImportFileError(
                f"{path}: day {e.date} is a weekday; "
                "only a Saturday or Sunday can be a make-up workday"
            )
        seen.add(e.date)
    return entries


def apply_procedure(conn: apsw.Connection, p: ProcedureUpserted, at: str) -> None:
    """Projection of ``procedure_upserted``: the newest imported version becomes current."""
    conn.execute(
        "UPDATE procedures SET current = 0 WHERE code = ? AND version != ?", (p.code, p.version)
    )
    conn.execute(
        """
        INSERT INTO procedures (code, version, name, field, time_limit, time_unit, online_level,
                                components, sample, current, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
        ON CONFLICT (code, version) DO UPDATE SET
            name = excluded.name, field = excluded.field, time_limit = excluded.time_limit,
            time_unit = excluded.time_unit, online_level = excluded.online_level,
            components = excluded.components, sample = excluded.sample, current = 1,
            updated_at = excluded.updated_at
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
        ),
    )


def apply_calendar_day(conn: apsw.Connection, d: CalendarDaySet) -> None:
    conn.execute(
        "INSERT INTO calendar_days (date, kind, name) VALUES (?, ?, ?) "
        "ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name",
        (d.date, d.kind, d.name),
    )


def import_catalog(
    conn: apsw.Connection, origin: str, actor: str, entries: list[ProcedureEntry]
) -> int:
    """Append an event per changed entry and project it; the caller holds the transaction."""
    changed = 0
    for e in entries:
        body = ProcedureUpserted(
            e.code,
            e.version,
            e.name,
            e.field,
            e.time_limit,
            e.time_unit,
            e.online_level,
            list(e.components),
            e.sample,
        )
        existing = get_procedure(conn, e.code, e.version)
        if existing is not None and existing.current and _same_procedure(existing, body):
            continue  # re-importing the same file writes nothing
        record = event_log.append(conn, origin, CATALOG_STREAM, body, actor)
        apply_procedure(conn, body, record.recorded_at)
        changed += 1
    return changed


def _same_procedure(p: Procedure, b: ProcedureUpserted) -> bool:
    return (p.name, p.field, p.time_limit, p.time_unit, p.online_level, p.components, p.sample) == (
        b.name,
        b.field,
        b.time_limit,
        b.time_unit,
        b.online_level,
        b.components,
        b.sample,
    )


def import_calendar(
    conn: apsw.Connection, origin: str, actor: str, entries: list[CalendarEntry]
) -> int:
    changed = 0
    for e in entries:
        body = CalendarDaySet(e.date.isoformat(), e.kind, e.name)
        row = conn.execute(
            "SELECT kind, name FROM calendar_days WHERE date = ?", (body.date,)
        ).fetchone()
        if row is not None and tuple(row) == (body.kind, body.name):
            continue
        event_log.append(conn, origin, CALENDAR_STREAM, body, actor)
        apply_calendar_day(conn, body)
        changed += 1
    return changed


def _procedure(row: tuple[object, ...]) -> Procedure:
    code, version, name, field, limit, unit, level, components, sample, current = row
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
    )


_PROC_COLS = (
    "code, version, name, field, time_limit, time_unit, online_level, components, sample, current"
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
