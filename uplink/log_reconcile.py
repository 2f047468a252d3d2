"""Joining a node's log again onto the city's copy after a restore from an old backup.

The node restored at seq R wrote new events R+1..N, while the city holds its lost events
R+1..H under the same seqs (and refuses the new ones: ``seq_conflict``). Reconciling puts
the city's copy of the lost events back at their seqs and moves the node's new events
after the city's head (H+1..H+N-R), in one transaction: ids, bodies and times unchanged,
only their seq. The dossiers both touch are folded again from all their events, the
acknowledged mark becomes H (the city holds 1..H, now the same events), and the new
events go up as ordinary pending events. Nothing is lost, nothing is there twice.

Seqs are immutable in the log by trigger; this is the one place that moves them, and it
drops and re-creates the delete trigger inside its own transaction, so no other writer
ever sees the log without it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import apsw
import msgspec

from node import event_log
from rules.clock import OFFICE_TZ, parse_utc_text
from rules.event_kinds import DocumentAttached, DossierReceived, decode_body
from rules.event_record import EventRecord
from uplink import downstream, outbox

DELETE_TRIGGER = "events_immutable_delete"


class ReconcileError(Exception):
    """Reconciling cannot be done safely as things are; the message says why."""


@dataclass(frozen=True)
class Plan:
    """What reconciling will do (``--dry-run`` prints it)."""

    node_id: str
    acked: int  # the node's acknowledged mark (restored with the backup)
    diverge_at: int  # the first seq where the two logs differ (0: they do not)
    city_head: int
    node_head: int
    lost: list[EventRecord] = field(default_factory=list)  # the city's copy, diverge_at..
    moved: list[EventRecord] = field(default_factory=list)  # the node's own, diverge_at..
    missing_files: list[str] = field(default_factory=list)  # named by lost events, not here

    @property
    def needed(self) -> bool:
        return bool(self.lost)

    def describe(self) -> list[str]:
        if not self.needed:
            return [
                f"node {self.node_id}: its log agrees with the city's (city head "
                f"{self.city_head}, node head {self.node_head}); nothing to reconcile"
            ]
        first_new = self.city_head + 1
        lines = [
            f"node {self.node_id}: the logs differ from seq {self.diverge_at} "
            f"(acknowledged mark {self.acked}, city head {self.city_head}, node head "
            f"{self.node_head})",
            f"take the city's copy of {len(self.lost)} lost events "
            f"(seq {self.diverge_at}..{self.city_head})",
        ]
        if self.moved:
            last_new = first_new + len(self.moved) - 1
            lines.append(
                f"move this node's {len(self.moved)} new events from seq "
                f"{self.diverge_at}..{self.node_head} to {first_new}..{last_new}, then send them"
            )
        if self.missing_files:
            lines.append(
                f"{len(self.missing_files)} files the lost events name are not on this node "
                "(copy them from the backup's blobs/): " + ", ".join(self.missing_files[:5])
            )
        return lines


def plan(
    conn: apsw.Connection, node_id: str, city: list[EventRecord], city_head: int, held: set[str]
) -> Plan:
    """Compare the node's log with the city's copy of it from the acknowledged mark on
    (``city``: the city's events of this node from ``acked + 1`` to ``city_head``)."""
    acked = outbox.acked_upto(conn, node_id)
    node_head = event_log.head_seq(conn, node_id)
    mine = {r.seq: r for r in event_log.after(conn, node_id, acked, max(1, node_head - acked))}
    city = [r for r in city if r.seq > acked]  # the same at or below the mark: acknowledged
    diverge_at = next((r.seq for r in city if mine.get(r.seq) is None or mine[r.seq].id != r.id), 0)
    if not diverge_at:
        return Plan(node_id, acked, 0, city_head, node_head)
    lost = [r for r in city if r.seq >= diverge_at]
    moved = [mine[s] for s in range(diverge_at, node_head + 1)]
    overlap = {r.id for r in lost} & {r.id for r in moved}
    if overlap:
        raise ReconcileError(
            f"events {sorted(overlap)[:3]} are at different seqs at the city and here: "
            "this is not a restore from an old backup; ask for help before anything else"
        )
    missing = sorted({sha for sha in _named_files(lost) if sha not in held})
    return Plan(node_id, acked, diverge_at, city_head, node_head, lost, moved, missing)


def apply(conn: apsw.Connection, p: Plan) -> None:
    """Carry out ``p`` inside the caller's write transaction."""
    if not p.needed:
        return
    _refuse_code_clashes(conn, p)
    (trigger_sql,) = (
        str(r[0])
        for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (DELETE_TRIGGER,),
        )
    )
    conn.execute(f"DROP TRIGGER {DELETE_TRIGGER}")
    conn.execute("DELETE FROM events WHERE origin = ? AND seq >= ?", (p.node_id, p.diverge_at))
    conn.execute(trigger_sql)
    shift = p.city_head + 1 - p.diverge_at
    for record in [*p.lost, *(msgspec.structs.replace(r, seq=r.seq + shift) for r in p.moved)]:
        event_log.insert(conn, record)
    for stream in sorted({r.stream for r in [*p.lost, *p.moved]}):
        events = event_log.for_stream(conn, stream)
        if events:
            downstream.project(conn, events[-1])  # refolds the whole stream
    _catch_up_code_serials(conn, p.node_id)
    conn.execute(
        "INSERT INTO sync_acked (origin, upto_seq, acked_at) VALUES (?, ?, ?) "
        "ON CONFLICT (origin) DO UPDATE SET upto_seq = excluded.upto_seq",
        (p.node_id, p.city_head, p.lost[-1].recorded_at),
    )


def _named_files(records: list[EventRecord]) -> list[str]:
    shas = []
    for record in records:
        if record.kind == "document_attached":
            body = decode_body(record.body)
            if isinstance(body, DocumentAttached):
                shas.append(body.sha256)
    return shas


def _received(records: list[EventRecord]) -> list[tuple[EventRecord, DossierReceived]]:
    out = []
    for record in records:
        if record.kind == "dossier_received":
            body = decode_body(record.body)
            if isinstance(body, DossierReceived):
                out.append((record, body))
    return out


def _refuse_code_clashes(conn: apsw.Connection, p: Plan) -> None:
    """A lost dossier's code issued again since the restore: two citizens hold receipts
    with one code. Reconciling cannot choose which one changes; an operator must."""
    lost_codes = {body.code: r.stream for r, body in _received(p.lost)}
    clashes = sorted(
        f"{code} (lost dossier {lost_codes[code]}, new dossier {dossier_id})"
        for dossier_id, code in conn.execute(
            "SELECT id, code FROM dossiers WHERE code IN (SELECT value FROM json_each(?))",
            (_json_list(sorted(lost_codes)),),
        )
        if lost_codes.get(str(code)) != dossier_id
    )
    if clashes:
        raise ReconcileError(
            "dossier codes issued twice (before the restore and again after it): "
            + "; ".join(clashes[:5])
            + ". Nothing was changed: re-issue the new dossiers' receipts under new codes "
            "first (ask for help), then run this again"
        )


def _catch_up_code_serials(conn: apsw.Connection, node_id: str) -> None:
    """The restored serial counters lag the lost receptions: move each day's counter to
    the receptions of that day the log now holds, so no code is issued twice."""
    per_day: Counter[str] = Counter()
    sql = "SELECT recorded_at FROM events WHERE origin = ? AND kind = 'dossier_received'"
    for (recorded_at,) in conn.execute(sql, (node_id,)):
        per_day[parse_utc_text(str(recorded_at)).astimezone(OFFICE_TZ).date().isoformat()] += 1
    for day, count in per_day.items():
        conn.execute(
            "INSERT INTO dossier_code_serials (day, last_serial) VALUES (?, ?) "
            "ON CONFLICT (day) DO UPDATE SET last_serial = MAX(last_serial, excluded.last_serial)",
            (day, count),
        )


def _json_list(values: list[str]) -> str:
    return json.dumps(values)
