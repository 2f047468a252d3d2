"""The node's one status snapshot: storage, database, sync link, ingest, calendar.

``/healthz`` (public, small), ``/metrics`` (web.health.metrics) and the sync page with its
alarms all read :func:`node_health`, so they never disagree about what is wrong. It lives in
the web layer because it joins the link's status (uplink) with ingest's (scanner_ingest),
which may not import each other.
"""

from __future__ import annotations

import apsw
import msgspec

from node import event_log
from node.integrity import calendar_warnings
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from scanner_ingest import status as ingest_status
from storage.faults import FaultState, is_database_damaged
from storage.migrations import schema_version
from uplink.node_link import SOFTWARE_VERSION
from uplink.status import SyncStatus
from uplink.status import status as sync_status
from web.health.problems import Problem, Status, healthz_problems, overall, storage_problems


class NodeHealth(msgspec.Struct, frozen=True):
    status: Status
    problems: list[Problem]
    node_id: str
    agency_code: str
    software_version: str
    checked_at: str  # UTC ISO
    storage: FaultState
    schema: str = ""
    events: int = 0  # this node's newest event seq
    calendar_years: list[int] = msgspec.field(default_factory=list)
    calendar_warnings: list[str] = msgspec.field(default_factory=list)
    sync: SyncStatus | None = None  # None: the database could not be read
    ingest: ingest_status.IngestStatus | None = None


def node_health(rt: NodeRuntime) -> NodeHealth:
    """Everything the node knows about its own state now; never raises for a bad disk or
    database (that is what it reports)."""
    storage = rt.faults.state()
    problems = storage_problems(storage)
    base = NodeHealth(
        status="ok",
        problems=[],
        node_id=rt.node_id,
        agency_code=rt.config.node.agency_code,
        software_version=SOFTWARE_VERSION,
        checked_at=to_utc_iso(utc_now()),
        storage=storage,
    )
    try:
        conn = rt.db.read()
        cal = rt.reference.calendar(conn)
        found = msgspec.structs.replace(
            base,
            schema=schema_version(conn),
            events=event_log.head_seq(conn, rt.node_id),
            calendar_years=sorted({d.year for d in cal.holidays | cal.makeup_workdays}),
            # Missing holiday calendars: provisional appointments, next year's not imported.
            calendar_warnings=calendar_warnings(rt),
            sync=sync_status(rt),
            ingest=ingest_status.read(rt),
        )
    except apsw.Error as exc:
        if is_database_damaged(exc):
            rt.faults.database_damaged("health check", exc)
            if not any(p.code == "database_damaged" for p in problems):
                problems.append(Problem("database_damaged", "error", str(exc)))
        else:
            problems.append(Problem("database_unreadable", "error", f"{type(exc).__name__}: {exc}"))
        return msgspec.structs.replace(base, status=overall(problems), problems=problems)
    assert found.sync is not None
    # The sync alarms first, least to most serious as uplink.status orders them; then the
    # storage's, the most serious of all (nothing can be written). A sync alarm leaves the
    # office working on its own: degraded, never error.
    sync_codes = [*found.sync.alarms, *([found.sync.alarm] if found.sync.alarm else [])]
    alarms = [Problem(c, "degraded", found.sync.last_error) for c in dict.fromkeys(sync_codes)]
    problems = alarms + problems
    return msgspec.structs.replace(found, status=overall(problems), problems=problems)


def healthz_body(health: NodeHealth) -> dict[str, object]:
    """``GET /healthz``: the fields it always had, plus what is wrong and the disk's space."""
    return {
        "status": health.status,
        "node_id": health.node_id,
        "agency_code": health.agency_code,
        "schema": health.schema,
        "events": health.events,
        "calendar_warnings": health.calendar_warnings,
        **healthz_problems(health.problems, health.storage),
        "version": health.software_version,
    }
