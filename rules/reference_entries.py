"""The catalog and calendar files, and what each of their entries becomes in the log.

A procedure entry becomes a ``procedure_upserted`` event, a calendar day a
``calendar_day_set``: the node imports them from files and the city pushes them down to the
nodes, both through :func:`procedure_event` and :func:`calendar_event`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal, TypeVar

import msgspec

from rules.due_dates import parse_cutoff
from rules.event_kinds import CalendarDaySet, ProcedureUpserted, encode_body
from rules.event_record import MAX_EVENT_BODY_BYTES

T = TypeVar("T")


class ImportFileError(Exception):
    """A catalog or calendar file is invalid; the message names the file and the entry."""


class ProcedureEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    version: str  # ``version = 1`` in a file is read as "1" (see read_catalog)
    name: str
    field: str
    time_limit: int
    time_unit: Literal["working_days", "calendar_days", "working_hours", "same_day"]
    online_level: Literal["full", "partial", "none"]
    components: list[str]
    sample: bool = False
    same_day_cutoff: str = "15:00"  # HH:MM, for time_unit "same_day"


class CatalogFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    procedure: list[ProcedureEntry]


class CalendarEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    date: dt.date
    kind: Literal["holiday", "workday"]
    name: str


class CalendarFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    day: list[CalendarEntry]
    year: int | None = None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror}") from exc


def _decode(raw: bytes, where: str, kind: type[T]) -> T:
    try:
        data = tomllib.loads(raw.decode("utf-8"))  # TOML syntax errors with line numbers
        if kind is CatalogFile:
            _versions_as_text(data)
        return msgspec.convert(data, type=kind)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{where}: not valid TOML: {exc}") from exc
    except msgspec.ValidationError as exc:
        raise ImportFileError(f"{where}: {exc}") from exc


def _versions_as_text(data: dict[str, object]) -> None:
    """``version = 1`` is how a person naturally writes a version in TOML: keep its text."""
    entries = data.get("procedure")
    for entry in entries if isinstance(entries, list) else []:
        version = entry.get("version") if isinstance(entry, dict) else None
        if isinstance(version, int) and not isinstance(version, bool):
            entry["version"] = str(version)


# What one entry's text may hold. Every reception copies its procedure's name and version
# into its event, so a name near the event limit made every reception of that procedure
# too large to record; the longest national procedure names are about 300 characters.
MAX_NAME_CHARS = 1000
MAX_VERSION_CHARS = 50
MAX_FIELD_CHARS = 200
MAX_COMPONENTS = 200
MAX_COMPONENT_CHARS = 500
MAX_DAY_NAME_CHARS = 200


def _check_text(where: str, what: str, value: str, limit: int) -> None:
    """A name the pages, forms and logs show: bounded, and no control character (a tab, a
    newline or an escape code would forge lines in logs or break a printed form)."""
    if len(value) > limit:
        raise ImportFileError(f"{where}: {what} has {len(value)} characters, over {limit}")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ImportFileError(f"{where}: {what} holds a control character")


def _check_procedure_text(where: str, e: ProcedureEntry) -> None:
    _check_text(where, "name", e.name, MAX_NAME_CHARS)
    _check_text(where, "version", e.version, MAX_VERSION_CHARS)
    _check_text(where, "field", e.field, MAX_FIELD_CHARS)
    if len(e.components) > MAX_COMPONENTS:
        raise ImportFileError(f"{where}: {len(e.components)} components, over {MAX_COMPONENTS}")
    for n, component in enumerate(e.components, 1):
        _check_text(where, f"component #{n}", component, MAX_COMPONENT_CHARS)


def read_catalog(path: Path) -> list[ProcedureEntry]:
    return parse_catalog(_read(path), str(path))


def parse_catalog(raw: bytes, source: str) -> list[ProcedureEntry]:
    """A catalog file's entries; ImportFileError naming ``source`` and the entry if invalid."""
    entries = _decode(raw, source, CatalogFile).procedure
    seen: set[tuple[str, str]] = set()
    for i, e in enumerate(entries):
        where = f"{source}: procedure #{i + 1} ({e.code!r})"
        if not e.code.strip() or len(e.code) > 50:
            raise ImportFileError(f"{where}: code must be 1-50 characters")
        if not e.name.strip():
            raise ImportFileError(f"{where}: name is empty")
        _check_procedure_text(where, e)
        if e.time_limit < 0 or (e.time_unit == "working_hours" and e.time_limit == 0):
            raise ImportFileError(
                f"{where}: time_limit {e.time_limit} is not valid for {e.time_unit}"
            )
        if e.time_unit == "same_day" and e.time_limit != 0:
            raise ImportFileError(
                f"{where}: time_unit same_day takes time_limit = 0 (returned the same day; "
                f"received at or after same_day_cutoff, the next working day), "
                f"not {e.time_limit}"
            )
        try:
            parse_cutoff(e.same_day_cutoff)
        except ValueError as exc:
            raise ImportFileError(f"{where}: {exc}") from None
        if (e.code, e.version) in seen:
            raise ImportFileError(f"{where}: version {e.version!r} appears twice")
        _check_size(where, len(encode_body(procedure_event(e))))
        seen.add((e.code, e.version))
    return entries


def read_calendar(path: Path) -> list[CalendarEntry]:
    return parse_calendar(_read(path), str(path))


def parse_calendar(raw: bytes, source: str) -> list[CalendarEntry]:
    """A calendar file's days; ImportFileError naming ``source`` and the day if invalid."""
    entries = _decode(raw, source, CalendarFile).day
    seen: set[dt.date] = set()
    for e in entries:
        if e.date in seen:
            raise ImportFileError(f"{source}: day {e.date} appears twice")
        if e.kind == "workday" and e.date.weekday() < 5:
            raise ImportFileError(
                f"{source}: day {e.date} is a weekday; "
                "only a Saturday or Sunday can be a make-up workday"
            )
        _check_text(f"{source}: day {e.date}", "name", e.name, MAX_DAY_NAME_CHARS)
        _check_size(f"{source}: day {e.date}", len(encode_body(calendar_event(e))))
        seen.add(e.date)
    return entries


def _check_size(where: str, size: int) -> None:
    """Each entry becomes one event, which must fit the replication wire."""
    if size > MAX_EVENT_BODY_BYTES:
        raise ImportFileError(
            f"{where}: the entry takes {size} bytes, over the {MAX_EVENT_BODY_BYTES}-byte "
            "limit of one event: shorten its texts"
        )


def procedure_event(e: ProcedureEntry) -> ProcedureUpserted:
    return ProcedureUpserted(
        e.code,
        str(e.version),
        e.name,
        e.field,
        e.time_limit,
        e.time_unit,
        e.online_level,
        list(e.components),
        e.sample,
        e.same_day_cutoff,
    )


def calendar_event(e: CalendarEntry) -> CalendarDaySet:
    return CalendarDaySet(e.date.isoformat(), e.kind, e.name)
