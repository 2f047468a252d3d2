"""A problem the status interface reports, and how serious the whole is.

``error``: the process cannot do its job (the disk is full, the database is damaged, the
city's store is unreachable); ``degraded``: it works but someone should look (a sync alarm,
little space left). ``/healthz`` answers 503 for ``error`` only, so a monitor that reads
the code alone still learns that writes are refused.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from storage.faults import FaultState

Severity = Literal["error", "degraded"]
Status = Literal["ok", "degraded", "error"]
STATUS_LEVEL: dict[str, int] = {"ok": 0, "degraded": 1, "error": 2}


class Problem(msgspec.Struct, frozen=True):
    code: str  # disk_full, disk_low, database_damaged, a sync alarm, store_unreachable, ...
    severity: Severity
    detail: str  # for the technician: what was seen (never a citizen's data)


def overall(problems: list[Problem]) -> Status:
    if any(p.severity == "error" for p in problems):
        return "error"
    return "degraded" if problems else "ok"


def storage_problems(state: FaultState) -> list[Problem]:
    """The problems of a process's storage (storage.faults)."""
    found: list[Problem] = []
    free = state.disk.free_bytes
    if state.disk_full:
        since = f" since {state.disk_full_since}" if state.disk_full_since else ""
        found.append(
            Problem(
                "disk_full",
                "error",
                f"the disk of {state.disk.path} is full ({free} bytes free){since}: "
                "writes are refused with 507 and ingest waits",
            )
        )
    elif state.disk_low:
        found.append(
            Problem(
                "disk_low",
                "degraded",
                f"{free} of {state.disk.total_bytes} bytes free on the disk of {state.disk.path}",
            )
        )
    if state.database_damaged:
        found.append(Problem("database_damaged", "error", state.database_damaged))
    return found


def healthz_problems(problems: list[Problem], storage: FaultState) -> dict[str, object]:
    """What every ``/healthz`` adds to its own fields: what is wrong, and the disk."""
    return {
        "reasons": [p.code for p in problems],
        "problems": [msgspec.structs.asdict(p) for p in problems],
        "disk": {
            "free_bytes": storage.disk.free_bytes,
            "total_bytes": storage.disk.total_bytes,
            "full": storage.disk_full,
        },
    }
