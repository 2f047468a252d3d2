"""``motcua check``: is this node's data whole? Integrity, schema, log density, files."""

from __future__ import annotations

from datetime import date

import msgspec

from node import dossier_store, event_log
from node.runtime import NodeRuntime
from rules import calendar_gaps
from rules.clock import OFFICE_TZ, utc_now
from storage import db as db_mod
from storage.dossier_rows import EXACT_APPOINTMENT_SQL
from storage.migrations import schema_version


class CheckReport(msgspec.Struct, frozen=True):
    integrity: str
    schema: str
    node_id: str
    events_by_origin: dict[str, int]
    dossiers_by_status: dict[str, int]
    documents: int
    files: int
    problems: list[str]
    # Files in the store that no row names: a crash between storing and committing leaves
    # them (e.g. the parts of a split scan), as does a store in progress. Not data loss.
    unreferenced: list[str] = msgspec.field(default_factory=list)
    unreferenced_bytes: int = 0
    # Holiday calendars missing: provisional appointments, next year's not yet imported.
    calendar_warnings: list[str] = msgspec.field(default_factory=list)


# Only open dossiers whose appointment is provisional can be named: read those through the
# expression index of migration 009 rather than decoding every open dossier's state (this
# runs on every /healthz and sync page: 18,000 open states took over half a second).
_OPEN_PROVISIONAL = f"finished_at IS NULL AND {EXACT_APPOINTMENT_SQL} = FALSE"


def calendar_warnings(rt: NodeRuntime, today: date | None = None) -> list[str]:
    conn = rt.db.read()
    open_states = dossier_store.iter_states(conn, _OPEN_PROVISIONAL)
    day = today or utc_now().astimezone(OFFICE_TZ).date()
    return calendar_gaps.calendar_warnings(open_states, rt.reference.calendar(conn), day)


def affected_by_calendar(rt: NodeRuntime, years: list[int]) -> list[calendar_gaps.AffectedDossier]:
    """Open dossiers provisional on ``years`` whose deadline the calendar now held changes."""
    conn = rt.db.read()
    states = dossier_store.iter_states(conn, _OPEN_PROVISIONAL)
    return calendar_gaps.affected_by_import(states, rt.reference.calendar(conn), years)


def check(rt: NodeRuntime, today: date | None = None) -> CheckReport:
    conn = rt.db.read()
    problems: list[str] = []
    try:
        db_mod.quick_check(conn, rt.db.path)
        integrity = "ok"
    except db_mod.DatabaseError as exc:
        integrity = "failed"
        problems.append(str(exc))
    for origin in event_log.gaps(conn):
        problems.append(f"event log of origin {origin!r} has a gap in seq")
    events = {
        str(o): int(n)
        for o, n in conn.execute(
            "SELECT origin, COUNT(*) FROM events GROUP BY origin ORDER BY origin"
        )
    }
    statuses = {
        str(s): int(n)
        for s, n in conn.execute(
            "SELECT status, COUNT(*) FROM dossiers GROUP BY status ORDER BY status"
        )
    }
    documents = int(db_mod.scalar(conn, "SELECT COUNT(*) FROM documents"))
    shas = [(str(s), int(n)) for s, n in conn.execute("SELECT sha256, size FROM blobs")]
    for sha, size in shas:
        path = rt.blobs.path_for(sha)
        if not path.exists():
            problems.append(f"document file {sha} is missing ({path})")
        elif path.stat().st_size != size:
            problems.append(f"document file {sha} has {path.stat().st_size} bytes, expected {size}")
    stored = rt.blobs.stored_files()
    unreferenced = sorted(stored.keys() - {sha for sha, _ in shas})
    return CheckReport(
        integrity,
        schema_version(conn),
        rt.node_id,
        events,
        statuses,
        documents,
        len(shas),
        problems,
        unreferenced,
        sum(stored[sha] for sha in unreferenced),
        calendar_warnings(rt, today),
    )
