"""The staff pages' server time with many dossiers: p50/p95 per page.

    uv run python -m bench.bench_pages                 # 50,000 dossiers, 40 requests a page
    uv run python -m bench.bench_pages --keep /tmp/pg  # keep (and next time reuse) the data

Seeding goes through the node's own write path (code serial, appointment, event append,
projection row), thousands of dossiers per transaction instead of one fsync each; a share
is then started, resolved, returned or asked for a supplement through the lifecycle rules.
The pages are then timed against ``motcua serve`` in its own process over HTTP on
127.0.0.1 (the round trip is the server's time plus loopback).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import uuid6

from cli.init_cmd import initialise
from node import dossier_store, event_log, reference_data
from node.appointments import appointment_for
from node.dossier_service import issue_code
from node.runtime import NodeRuntime, open_node
from rules.clock import to_utc_iso, utc_now
from rules.event_kinds import DossierEvent, DossierReceived, Person
from rules.lifecycle import Action, Status
from rules.projection import DossierState, apply
from rules.transitions import TransitionRequest, decide_transition
from tests.support.live_node import start_node

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Hoàng", "Ngọc", "Đức", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Đức", "Giang", "Hoa", "Khánh", "Lan", "Mai", "Nam"]
LIFECYCLES: list[list[Action]] = [
    [],
    [Action.START],
    [Action.START, Action.REQUEST_SUPPLEMENT],
    [Action.START, Action.RESOLVE],
    [Action.START, Action.RESOLVE, Action.RETURN_RESULT],
    [Action.START, Action.RESOLVE, Action.RETURN_RESULT],
]
BATCH = 2000


def _commit(
    rt: NodeRuntime, conn: object, state: DossierState | None, body: DossierEvent, actor: str
) -> DossierState:
    record = event_log.append(conn, rt.node_id, body.dossier_id, body, actor)  # type: ignore[arg-type]
    new = apply(
        state, body, origin=record.origin, event_id=record.id, recorded_at=record.recorded_at
    )
    dossier_store.save(conn, new)  # type: ignore[arg-type]
    return new


def seed(rt: NodeRuntime, count: int, rng: random.Random) -> None:
    conn = rt.db.read()
    procedures = reference_data.list_procedures(conn)
    now = utc_now()
    # Oldest first, so the daily code serials run in order as they would have.
    moments = sorted(now - timedelta(minutes=rng.randrange(1, 300 * 24 * 60)) for _ in range(count))
    calendar = rt.reference.calendar(conn)
    for start in range(0, count, BATCH):
        with rt.db.write() as w:
            for moment in moments[start : start + BATCH]:
                procedure = rng.choice(procedures)
                appointment = appointment_for(rt, conn, procedure, moment, online=False)
                name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
                due = appointment.due_at
                assert due is not None
                body = DossierReceived(
                    dossier_id=str(uuid6.uuid7()),
                    code=issue_code(rt, w, moment),
                    procedure_code=procedure.code,
                    procedure_version=procedure.version,
                    procedure_name=procedure.name,
                    time_limit=procedure.time_limit,
                    time_unit=procedure.time_unit,
                    applicant=Person(name, f"0010{rng.randrange(10**8):08d}", "0912345678"),
                    proxy=None,
                    channel="in_person",
                    components=list(procedure.components),
                    status=int(Status.RECEIVED),
                    submitted_at=to_utc_iso(moment),
                    received_at=to_utc_iso(moment),
                    due_at=to_utc_iso(due),
                    provisional_years=appointment.provisional_years,
                    same_day_cutoff=procedure.same_day_cutoff,
                )
                state = _commit(rt, w, None, body, "bench")
                # Recent dossiers are still open; older ones mostly went their whole way.
                age = (now - moment).days
                steps = rng.choice(LIFECYCLES if age > 20 else LIFECYCLES[:3])
                at = moment
                for action in steps:
                    at = min(now, at + timedelta(hours=rng.randrange(1, 72)))
                    note = "Thiếu giấy tờ" if action is Action.REQUEST_SUPPLEMENT else ""
                    req = TransitionRequest(action=action, note=note)
                    change = decide_transition(state, req, lambda: calendar, at, to_utc_iso(at))
                    state = _commit(rt, w, state, change, "bench")


def prepare(data_dir: Path, count: int) -> None:
    if (data_dir / "ready").exists():
        return
    shutil.rmtree(data_dir, ignore_errors=True)
    initialise(data_dir, "000.00.15.H42", "bench-xa", calendars=True, sample_catalog=True)
    rt = open_node(data_dir)
    started = time.perf_counter()
    try:
        seed(rt, count, random.Random(11))
    finally:
        rt.close()
    print(f"seeded {count} dossiers in {time.perf_counter() - started:.1f} s")
    (data_dir / "ready").write_text(str(count))


def timed(client: httpx.Client, request: Callable[[], httpx.Response], n: int) -> list[float]:
    for _ in range(3):
        request().raise_for_status()
    times = []
    for _ in range(n):
        begun = time.perf_counter()
        response = request()
        times.append((time.perf_counter() - begun) * 1000)
        assert response.status_code < 400, response.text[:200]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="data folder to keep and reuse")
    args = parser.parse_args()
    scratch = None if args.keep else tempfile.TemporaryDirectory()
    root = args.keep or Path(scratch.name)  # type: ignore[union-attr]
    data_dir = root / "node"
    prepare(data_dir, args.dossiers)
    node = start_node(data_dir)
    try:
        headers = {"X-Actor": "bench"}
        with httpx.Client(base_url=node.url, headers=headers, timeout=60) as c:
            one = c.get("/api/v1/dossiers", params={"limit": 1, "status": 5}).json()["items"][0]
            pages: dict[str, Callable[[], httpx.Response]] = {
                "list (newest first)": lambda: c.get("/dossiers"),
                "list search 'nguyen van an'": lambda: c.get(
                    "/dossiers", params={"q": "nguyen van an"}
                ),
                "list overdue, by deadline": lambda: c.get(
                    "/dossiers", params={"overdue": "1", "sort": "due_asc"}
                ),
                "list due this week": lambda: c.get("/dossiers", params={"due": "week"}),
                "list provisional": lambda: c.get("/dossiers", params={"provisional": "1"}),
                "list status 4 + procedure": lambda: c.get(
                    "/dossiers", params={"status": "4", "procedure": one["procedure_code"]}
                ),
                "list page 800 of 1000": lambda: c.get("/dossiers", params={"offset": 40_000}),
                "csv overdue": lambda: c.get("/dossiers.csv", params={"overdue": "1"}),
                "dossier page": lambda: c.get(f"/dossiers/{one['id']}"),
                "reception form": lambda: c.get("/dossiers/new"),
                "procedure suggestions": lambda: c.get(
                    "/dossiers/new/procedures", params={"procedure_q": "ket hon"}
                ),
                "appointment preview": lambda: c.get(
                    "/dossiers/new/details", params={"procedure_code": one["procedure_code"]}
                ),
            }
            print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8}")
            for name, request in pages.items():
                times = timed(c, request, args.requests)
                p95 = statistics.quantiles(times, n=20)[18]
                print(f"{name:32} {statistics.median(times):8.1f} {p95:8.1f}")
            whole = timed(c, lambda: c.get("/dossiers.csv"), 3)
            print(
                f"{'csv, all ' + str(args.dossiers):32} {statistics.median(whole):8.1f}  (3 runs)"
            )
    finally:
        node.stop()
        if scratch is not None:
            scratch.cleanup()


if __name__ == "__main__":
    main()
