"""Catalog and calendar import from a page: preview what a file changes, then apply exactly
that file.

The uploaded file is checked and staged under ``<data dir>/staged-imports/`` named by its
SHA-256; the preview lists what it adds and changes. Confirming names the kind, the SHA-256
and the preview's own digest: the staged file is read again, and if the database moved since
(someone else imported) the digest differs and nothing is applied. Importing adds and
updates, never removes (``reference_data``); the preview says how many entries stay as they
are. A refused file changes nothing and is not staged.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Literal

import apsw
import msgspec

from node import reference_data
from node.runtime import NodeRuntime
from rules import reference_entries
from rules.actor import Actor
from rules.errors import DossierError, NotFound
from rules.reference_entries import CalendarEntry, ProcedureEntry, procedure_event
from storage.atomic_file import write_atomic

Kind = Literal["catalog", "calendar"]
KINDS: tuple[Kind, ...] = ("catalog", "calendar")
#: The shipped catalog is a few kB and a year's calendar under one: 1 MB is generous.
MAX_IMPORT_BYTES = 1_000_000
STAGED = "staged-imports"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_STALE_SECONDS = 24 * 3600


class ImportRefused(DossierError):
    """The file cannot be imported; ``field`` says why: file_empty, file_too_large, file_invalid."""


class Entry(msgspec.Struct, frozen=True):
    """An entry as the preview shows it. The machine words stay as the files, the CLI and
    the events write them ("holiday", "working_days"): the page words them in its reader's
    language."""

    name: str
    kind: str = ""  # a calendar day's: "holiday" or "workday"
    time_limit: int = 0  # a procedure's time limit, its unit and version
    time_unit: str = ""
    version: str = ""


class Change(msgspec.Struct, frozen=True):
    key: str  # procedure code (version) or date
    name: str
    before: Entry | None  # None when added
    after: Entry


class ImportPreview(msgspec.Struct, frozen=True):
    kind: Kind
    sha256: str
    digest: str  # of the changes below: confirming applies only if it still holds
    entries: int
    added: list[Change]
    changed: list[Change]
    unchanged: int
    kept: int  # stored entries the file does not name: they stay


def _staged_path(rt: NodeRuntime, kind: Kind, sha256: str) -> Path:
    return rt.data_dir / STAGED / f"{kind}-{sha256}.toml"


def _read(kind: Kind, path: Path) -> list[ProcedureEntry] | list[CalendarEntry]:
    if kind == "catalog":
        return reference_entries.read_catalog(path)
    return reference_entries.read_calendar(path)


def _procedure_entry(p: reference_data.Procedure | ProcedureEntry) -> Entry:
    return Entry(p.name, time_limit=p.time_limit, time_unit=p.time_unit, version=p.version)


def _catalog_changes(
    conn: apsw.Connection, entries: list[ProcedureEntry]
) -> tuple[list[Change], list[Change], int, int]:
    added, changed, unchanged = [], [], 0
    for e in entries:
        body = procedure_event(e)
        same_version = reference_data.get_procedure(conn, e.code, e.version)
        current = reference_data.get_procedure(conn, e.code)
        if (
            same_version is not None
            and same_version.current
            and reference_data.same_procedure(same_version, body)
        ):
            unchanged += 1
        elif current is None and same_version is None:
            added.append(Change(e.code, e.name, None, _procedure_entry(e)))
        else:
            before = None if current is None else _procedure_entry(current)
            changed.append(Change(e.code, e.name, before, _procedure_entry(e)))
    named = {e.code for e in entries}
    kept = sum(1 for p in reference_data.list_procedures(conn) if p.code not in named)
    return added, changed, unchanged, kept


def _calendar_changes(
    conn: apsw.Connection, entries: list[CalendarEntry]
) -> tuple[list[Change], list[Change], int, int]:
    added, changed, unchanged = [], [], 0
    stored = {
        str(d): (str(k), str(n))
        for d, k, n in conn.execute("SELECT date, kind, name FROM calendar_days")
    }
    for e in entries:
        key = e.date.isoformat()
        before = stored.get(key)
        if before == (e.kind, e.name):
            unchanged += 1
        elif before is None:
            added.append(Change(key, e.name, None, Entry(e.name, kind=e.kind)))
        else:
            was = Entry(before[1], kind=before[0])
            changed.append(Change(key, e.name, was, Entry(e.name, kind=e.kind)))
    named = {e.date.isoformat() for e in entries}
    return added, changed, unchanged, sum(1 for d in stored if d not in named)


def _preview_of(conn: apsw.Connection, kind: Kind, sha256: str, path: Path) -> ImportPreview:
    entries = _read(kind, path)
    if kind == "catalog":
        added, changed, unchanged, kept = _catalog_changes(conn, entries)  # type: ignore[arg-type]
    else:
        added, changed, unchanged, kept = _calendar_changes(conn, entries)  # type: ignore[arg-type]
    digest = hashlib.sha256(msgspec.json.encode([kind, sha256, added, changed])).hexdigest()
    return ImportPreview(kind, sha256, digest, len(entries), added, changed, unchanged, kept)


def preview(rt: NodeRuntime, kind: Kind, data: bytes, filename: str) -> ImportPreview:
    """Check ``data`` as a ``kind`` file, stage it, and say what importing it would change."""
    if not data:
        raise ImportRefused("the file is empty", "file_empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"the file is over {MAX_IMPORT_BYTES} bytes", "file_too_large")
    sha256 = hashlib.sha256(data).hexdigest()
    staged = _staged_path(rt, kind, sha256)
    staged.parent.mkdir(exist_ok=True)
    _prune(staged.parent)
    candidate = staged.with_suffix(".checking")
    write_atomic(candidate, data, 0o600)
    try:
        result = _preview_of(rt.db.read(), kind, sha256, candidate)
    except reference_entries.ImportFileError as exc:
        candidate.unlink(missing_ok=True)
        raise ImportRefused(str(exc).replace(str(candidate), filename), "file_invalid") from None
    candidate.replace(staged)
    return result


def _prune(folder: Path) -> None:
    """Staged files nobody confirmed within a day go."""
    for old in folder.iterdir():
        if time.time() - old.stat().st_mtime > _STALE_SECONDS:
            old.unlink(missing_ok=True)


def confirm(rt: NodeRuntime, kind: Kind, sha256: str, digest: str, actor: Actor) -> ImportPreview:
    """Import the staged file ``sha256`` if it still changes what its preview said."""
    if not _SHA256.match(sha256):
        raise NotFound("no staged file with that SHA-256")
    staged = _staged_path(rt, kind, sha256)
    if not staged.is_file() or hashlib.sha256(staged.read_bytes()).hexdigest() != sha256:
        raise NotFound("no staged file with that SHA-256 (confirmed already, or expired)")
    with rt.db.write() as conn:
        now = _preview_of(conn, kind, sha256, staged)
        if now.digest != digest:
            raise ImportRefused("the data changed since the preview", "stale_preview")
        entries = _read(kind, staged)
        if kind == "catalog":
            reference_data.import_catalog(conn, rt.node_id, actor, entries)  # type: ignore[arg-type]
        else:
            reference_data.import_calendar(conn, rt.node_id, actor, entries)  # type: ignore[arg-type]
    staged.unlink(missing_ok=True)
    return now
