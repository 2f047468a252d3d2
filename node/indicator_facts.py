"""What the indicators need of each dossier, in narrow columns, so a month's figures are one
aggregate query instead of decoding every dossier's state (50,000 states took seconds).

Each row is derived from the dossier's state by the same rules ``rules.indicators`` and
``rules.indicators_766`` apply (``timeliness``, ``national_end``, the on-time test), and
written by ``dossier_store.save`` in the transaction that saves the state, so it is never
behind. What depends on the moment asked (overdue, within the legal time) is kept as the
deadline to compare ``now`` with. Instants are integer microseconds since the epoch, as
``from_utc_iso`` reads them, so comparisons match the rules' exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime

import apsw
import msgspec

from rules.clock import from_utc_iso
from rules.indicators_766 import national_end
from rules.lifecycle import Status
from rules.projection import DossierState
from rules.timeliness import Timeliness, timeliness
from storage.dossier_rows import decode_state

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

COLUMNS = (
    "dossier_id, received_us, resolved_us, finished_us, national_end_us, timeliness,"
    " digitised, has_component, ended_on_time, in_progress, overdue_after_us, national_due_us"
)


def micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _ONE_MICROSECOND


def _us(text: str | None) -> int | None:
    return None if text is None else micros(from_utc_iso(text))


def create_table(conn: apsw.Connection) -> None:
    """Migration 010: the table, filled from every stored state."""
    conn.execute(
        """
        CREATE TABLE dossier_indicator_facts (
            dossier_id TEXT PRIMARY KEY REFERENCES dossiers (id),
            received_us INTEGER,      -- received_at (NULL: never accepted)
            resolved_us INTEGER,
            finished_us INTEGER,      -- processing end (resolved, returned, stopped, refused)
            national_end_us INTEGER,  -- processing end as Decision 766 counts it
            timeliness TEXT,          -- early / on_time / late for a finished dossier
            digitised INTEGER NOT NULL,      -- both a component and a result file
            has_component INTEGER NOT NULL,  -- at least one component file
            ended_on_time INTEGER NOT NULL,  -- 766: ended by the legal deadline
            in_progress INTEGER NOT NULL,    -- received, processing not ended
            overdue_after_us INTEGER,  -- in progress, clock running: overdue once now > this
            national_due_us INTEGER    -- 766 in progress: within time while now <= this
        ) WITHOUT ROWID;
        """
    )
    for (state,) in conn.execute("SELECT state FROM dossiers").fetchall():
        save(conn, decode_state(bytes(state) if isinstance(state, bytes) else str(state)))


class Facts(msgspec.Struct, frozen=True):
    dossier_id: str
    received_us: int | None
    resolved_us: int | None
    finished_us: int | None
    national_end_us: int | None
    timeliness: str | None
    digitised: bool
    has_component: bool
    ended_on_time: bool
    in_progress: bool
    overdue_after_us: int | None
    national_due_us: int | None


def facts_of(s: DossierState) -> Facts:
    roles = {d.role for d in s.documents}
    received = s.received_at is not None
    ended = national_end(s) if received else None
    due = s.statutory_due_at
    in_progress = s.finished_at is None and s.status != Status.SUBMITTED and received
    clock_runs = s.status not in (Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED)
    verdict: Timeliness | None = timeliness(s)
    return Facts(
        dossier_id=s.id,
        received_us=_us(s.received_at),
        resolved_us=_us(s.resolved_at),
        finished_us=_us(s.finished_at),
        national_end_us=_us(ended),
        timeliness=None if verdict is None else verdict.value,
        digitised="component" in roles and "result" in roles,
        has_component="component" in roles,
        ended_on_time=(
            ended is not None
            and due is not None
            and from_utc_iso(ended) <= from_utc_iso(due)
            and s.supplement_count <= 1
        ),
        in_progress=in_progress,
        overdue_after_us=_us(due) if in_progress and clock_runs else None,
        national_due_us=(
            _us(due) if received and ended is None and s.supplement_count <= 1 else None
        ),
    )


def save(conn: apsw.Connection, state: DossierState) -> None:
    values = msgspec.structs.astuple(facts_of(state))
    marks = ", ".join("?" * len(values))
    conn.execute(
        f"INSERT OR REPLACE INTO dossier_indicator_facts ({COLUMNS}) VALUES ({marks})", values
    )


_ONE_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH
